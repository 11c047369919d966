import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One reply the test scripts for the scripted model server. It is a test's
 * script, not a model's answer: the server exists so that the runtime talks
 * its real protocol (OpenAI chat completions over HTTP) in tests.
 */
export interface ScriptedReply {
  /** The answer text (finish_reason "stop") when there are no tool calls. */
  content?: string;
  /** Tool calls (finish_reason "tool_calls"); `arguments` is sent as JSON text. */
  toolCalls?: { id?: string; name: string; arguments: unknown }[];
  usage?: { promptTokens: number; completionTokens: number };
  /** Answer with this HTTP status and an OpenAI-style error instead (e.g. 429, 500). */
  status?: number;
  /** Hold the reply until release(hold) is called; a client that goes away meanwhile leaves it to the next request. */
  hold?: string;
  /** Answer only after this long (a model that takes its time). */
  delayMs?: number;
}

/** A chat completion request as the server received it. */
export interface RecordedChatRequest {
  model: string;
  messages: { role: string; content?: unknown; tool_call_id?: string; tool_calls?: unknown[] }[];
  tools: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  /** Which script answered it ('' for the default one). */
  script: string;
  /** Which reply of that script it got (0-based; -1 when none was left). */
  replyIndex: number;
  authorization: string;
}

export interface ScriptedModelServer {
  /** The OpenAI base URL: http://127.0.0.1:<port>/v1 */
  readonly baseURL: string;
  /** The stack's configuration for this server: AOS_OPENAI_BASE_URL, AOS_OPENAI_API_KEY, AOS_MODEL. */
  readonly env: Readonly<Record<'AOS_OPENAI_BASE_URL' | 'AOS_OPENAI_API_KEY' | 'AOS_MODEL', string>>;
  /** Every chat completion request so far, in arrival order. */
  readonly requests: RecordedChatRequest[];
  /** Appends replies to the default script (for requests no keyed script matches). */
  script(...replies: ScriptedReply[]): void;
  /** Appends replies to the script for requests whose user message contains `key` (so parallel tasks each get theirs). */
  scriptFor(key: string, ...replies: ScriptedReply[]): void;
  /**
   * Answers every request whose script has no reply left with `reply`, or
   * with what `reply(request)` returns (instead of HTTP 400), for load tests;
   * undefined stops it.
   */
  otherwise(reply: ScriptedReply | ((request: RecordedChatRequest) => ScriptedReply) | undefined): void;
  /** Sends the replies held under `hold`. */
  release(hold: string): void;
  /** Resolves once `count` requests have arrived (matching `key` when given). */
  waitForRequests(count: number, key?: string): Promise<RecordedChatRequest[]>;
  stop(): Promise<void>;
}

/**
 * A local OpenAI-compatible HTTP server (POST /v1/chat/completions) that
 * answers from scripts the test writes, and records the requests it got.
 * A request with no reply left is answered HTTP 400 "no scripted reply left",
 * which the runtime does not retry, so a test's missing script shows at once.
 */
/**
 * Every answer closes its connection: a client never reuses a socket the
 * server is closing (a keep-alive race that makes the client retry, and the
 * retry would take the next scripted reply).
 */
const JSON_CLOSE = { 'content-type': 'application/json', connection: 'close' };

export async function startScriptedModelServer(): Promise<ScriptedModelServer> {
  const scripts = new Map<string, ScriptedReply[]>([['', []]]);
  const requests: RecordedChatRequest[] = [];
  const served = new Map<string, number>();
  const held = new Map<string, (() => void)[]>();
  const released = new Set<string>();
  const waiters: (() => void)[] = [];
  let fallback: ScriptedReply | ((request: RecordedChatRequest) => ScriptedReply) | undefined;
  let nextId = 1;

  const scriptOf = (body: RecordedChatRequest): string => {
    const user = body.messages.find((m) => m.role === 'user');
    const text = typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '');
    for (const key of scripts.keys()) if (key !== '' && text.includes(key)) return key;
    return '';
  };

  const answer = (res: ServerResponse, reply: ScriptedReply | undefined, model: string) => {
    if (!reply) {
      res.writeHead(400, JSON_CLOSE);
      res.end(JSON.stringify({ error: { message: 'scripted model server: no scripted reply left', type: 'test' } }));
      return;
    }
    if (reply.status && reply.status >= 400) {
      res.writeHead(reply.status, JSON_CLOSE);
      res.end(JSON.stringify({ error: { message: `scripted HTTP ${reply.status}`, type: 'test' } }));
      return;
    }
    const toolCalls = (reply.toolCalls ?? []).map((call) => ({
      id: call.id ?? `call_${nextId++}`,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) },
    }));
    const usage = reply.usage ?? { promptTokens: 10, completionTokens: 5 };
    res.writeHead(200, JSON_CLOSE);
    res.end(
      JSON.stringify({
        id: `chatcmpl-scripted-${nextId++}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
            message: {
              role: 'assistant',
              content: toolCalls.length > 0 ? null : (reply.content ?? ''),
              ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            },
          },
        ],
        usage: {
          prompt_tokens: usage.promptTokens,
          completion_tokens: usage.completionTokens,
          total_tokens: usage.promptTokens + usage.completionTokens,
        },
      }),
    );
  };

  const http = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const body = (await readJson(req)) as Partial<RecordedChatRequest>;
      const recorded: RecordedChatRequest = {
        model: String(body.model ?? ''),
        messages: Array.isArray(body.messages) ? body.messages : [],
        tools: Array.isArray(body.tools) ? body.tools : [],
        script: '',
        replyIndex: -1,
        authorization: req.headers.authorization ?? '',
      };
      recorded.script = scriptOf(recorded);
      requests.push(recorded);
      for (const wake of waiters.splice(0)) wake();
      const reply =
        scripts.get(recorded.script)!.shift() ?? (typeof fallback === 'function' ? fallback(recorded) : fallback);
      if (reply) recorded.replyIndex = served.get(recorded.script) ?? 0;
      served.set(recorded.script, (served.get(recorded.script) ?? 0) + (reply ? 1 : 0));
      if (reply?.hold && !released.has(reply.hold)) {
        const queue = held.get(reply.hold) ?? [];
        let settled = false;
        const send = () => {
          if (settled) return;
          settled = true;
          answer(res, reply, recorded.model);
        };
        queue.push(send);
        held.set(reply.hold, queue);
        // A client that goes away (killed, timed out) never got the reply: the next request gets it.
        res.on('close', () => {
          if (settled) return;
          settled = true;
          queue.splice(queue.indexOf(send), 1);
          scripts.get(recorded.script)!.unshift(reply);
          served.set(recorded.script, served.get(recorded.script)! - 1);
          recorded.replyIndex = -1;
        });
        return;
      }
      if (reply?.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      answer(res, reply, recorded.model);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  const matching = (key?: string) => requests.filter((r) => key === undefined || r.script === key);
  const baseURL = `http://127.0.0.1:${port}/v1`;
  return {
    baseURL,
    env: { AOS_OPENAI_BASE_URL: baseURL, AOS_OPENAI_API_KEY: 'scripted-key', AOS_MODEL: 'scripted-model' },
    requests,
    script: (...replies) => scripts.get('')!.push(...replies),
    otherwise: (reply) => (fallback = reply),
    scriptFor: (key, ...replies) => {
      const queue = scripts.get(key) ?? [];
      queue.push(...replies);
      scripts.set(key, queue);
    },
    release: (hold) => {
      released.add(hold);
      for (const send of held.get(hold)?.splice(0) ?? []) send();
    },
    waitForRequests: (count, key) =>
      new Promise((resolve) => {
        const check = () => {
          const found = matching(key);
          if (found.length >= count) resolve(found);
          else waiters.push(check);
        };
        check();
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
