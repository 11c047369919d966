import { loadConfig } from '@aos/config';
import { signalReady } from '@aos/launcher';
import { startAudit } from './bootstrap';

const audit = await startAudit(loadConfig());
signalReady('audit');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    audit.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('audit: shutdown failed', err);
        process.exit(1);
      },
    );
  });
}
