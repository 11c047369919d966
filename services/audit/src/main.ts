import { loadConfig } from '@aos/config';
import { runService } from '@aos/launcher';
import { startAudit } from './bootstrap';

await runService('audit', () => startAudit(loadConfig()));
