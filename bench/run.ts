/**
 * `npm run bench [gateway|replay|authz|routing|cluster|knowledge|commands|audit-verify|audit-tree|footprint|takeover-routing|takeover-lifecycle]`: every figure is printed beside a raw
 * baseline measured in the same run, so a noisy machine cannot flatter it.
 */
import { benchGateway } from './gateway.bench';
import { benchReplay } from './replay.bench';
import { benchAuthz } from './authz.bench';
import { benchRouting } from './routing.bench';
import { benchCluster } from './cluster.bench';
import { benchKnowledge } from './knowledge.bench';
import { benchCommands } from './commands.bench';
import { benchAuditVerify } from './audit-verify.bench';
import { benchAuditTree } from './audit-tree-overhead.bench';
import { benchFootprint } from './footprint.bench';
import { benchTakeoverRouting } from './takeover-routing.bench';
import { benchTakeoverLifecycle } from './takeover-lifecycle.bench';

const which = process.argv[2] ?? 'all';
const benches: Record<string, () => Promise<void>> = {
  gateway: benchGateway,
  replay: benchReplay,
  authz: benchAuthz,
  routing: benchRouting,
  cluster: benchCluster,
  knowledge: benchKnowledge,
  commands: benchCommands,
  'audit-verify': benchAuditVerify,
  'audit-tree': benchAuditTree,
  footprint: benchFootprint,
  'takeover-routing': benchTakeoverRouting,
  'takeover-lifecycle': benchTakeoverLifecycle,
};
const selected = which === 'all' ? Object.values(benches) : [benches[which]];
if (selected.some((b) => b === undefined)) {
  process.stderr.write(`unknown bench "${which}"; choose one of: all, ${Object.keys(benches).join(', ')}\n`);
  process.exit(2);
}
process.stdout.write(`node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
for (const bench of selected) await bench!();
process.exit(0);
