import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ServiceProcess, ServiceStartError } from '../src/service-process';

const entry = fileURLToPath(new URL('./fixtures/fails-at-start.ts', import.meta.url));

describe('ServiceProcess', () => {
  it("quotes a service's last stderr lines when it exits before it is ready, even with output ignored", async () => {
    const service = new ServiceProcess({ name: 'broken', entry, env: process.env, output: 'ignore' });
    const failure = await service.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ServiceStartError);
    expect((failure as Error).message).toMatch(/^broken: exited before it was ready \(code 1, signal null\)/);
    expect((failure as Error).message).toContain('listen EADDRINUSE: address already in use 127.0.0.1:50051');
  });
});
