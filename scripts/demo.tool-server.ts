import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The demo's own back office: a tiny HTTP server whose endpoints the demo
 * registers as tools of the `demo` tenant. Agents never call it directly; they
 * call the tools through AgentOS, which checks each call with governance,
 * calls this server and records the call in the log. Its answers are
 * deterministic (a fixed catalogue, order states derived from the number) so
 * the demo runs the same way on every machine, without a model.
 */
export interface DemoToolServer {
  /** `http://host:port`. */
  readonly url: string;
  /** Refunds issued since start (each one a person approved). */
  readonly refunds: readonly { order: string; text: string }[];
  stop(): Promise<void>;
}

const STOCK: Record<string, { units: number; warehouse: string }> = {
  widget: { units: 42, warehouse: 'Rotterdam' },
  gadget: { units: 7, warehouse: 'Lyon' },
  sprocket: { units: 0, warehouse: 'Rotterdam' },
  gizmo: { units: 130, warehouse: 'Gdansk' },
};
const ORDER_STATES = ['packed', 'shipped', 'out for delivery', 'delivered'];

/** Listens on `host:port` (port 0: a free one). */
export async function startDemoToolServer(host: string, port: number): Promise<DemoToolServer> {
  const refunds: { order: string; text: string }[] = [];
  const server = createServer((req, res) => {
    void answer(req, res, refunds).catch((err: unknown) => send(res, 500, { error: (err as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    refunds,
    stop: () => close(server),
  };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  refunds: { order: string; text: string }[],
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://demo');
  if (req.method === 'GET' && url.pathname === '/inventory') {
    const text = url.searchParams.get('text') ?? '';
    const item = Object.keys(STOCK).find((name) => text.toLowerCase().includes(name));
    if (!item) return send(res, 404, { error: `no catalogue item named in "${text}"`, items: Object.keys(STOCK) });
    return send(res, 200, { item, ...STOCK[item] });
  }
  if (req.method === 'GET' && url.pathname === '/orders') {
    const order = orderNumber(url.searchParams.get('text') ?? '');
    if (!order) return send(res, 400, { error: 'no order number (#1234) in the text' });
    return send(res, 200, { order, state: ORDER_STATES[Number(order) % ORDER_STATES.length] });
  }
  if (req.method === 'POST' && url.pathname === '/refunds') {
    const body = JSON.parse((await readBody(req)) || '{}') as { text?: unknown };
    const text = typeof body.text === 'string' ? body.text : '';
    const order = orderNumber(text);
    if (!order) return send(res, 400, { error: 'no order number (#1234) in the text' });
    refunds.push({ order, text });
    return send(res, 200, { order, refund: `R-${order}-${refunds.length}`, state: 'issued' });
  }
  send(res, 404, { error: `no ${req.method} ${url.pathname}` });
}

function orderNumber(text: string): string | undefined {
  return /#(\d{3,10})/.exec(text)?.[1];
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
