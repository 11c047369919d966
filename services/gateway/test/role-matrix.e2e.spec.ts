import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_ROLE_NAMES } from '@aos/access-control';
import { startTestStack, type TestStack } from '@aos/testing';
import { roleTable, SYSTEM_ADMIN_COLUMN, type RoleTableRow } from '../src/authz/role-table';
import { GatewayCaller, type AosService } from './support/gateway-caller';
import { principalWithKey } from './support/governance-fixtures';

/**
 * Every cell of the README's role × method table, through the whole stack:
 * each built-in role calls every gRPC method once and is refused with
 * PERMISSION_DENIED exactly where the table says —.
 */
let t: TestStack;
let gateway: GatewayCaller;
const keys = new Map<string, string>();

// Requests that can do no harm even where they are allowed: empty (so
// mutations fail validation), and streams with an invalid after_position, so
// an allowed stream ends at once with INVALID_ARGUMENT instead of following
// (RuntimeService.Connect reads it as an empty first message: not attach,
// so INVALID_ARGUMENT too).
const STREAM_REQUEST = { afterPosition: -1 };

beforeAll(async () => {
  t = await startTestStack();
  gateway = new GatewayCaller(t.gatewayAddr);
  for (const role of BUILT_IN_ROLE_NAMES) keys.set(role, (await principalWithKey(gateway, t.apiKey, { role })).key);
});
afterAll(async () => {
  gateway?.close();
  await t?.stop();
});

describe('role × method, through the gateway', () => {
  const rows = roleTable();

  it('the table covers every method of every service in the protos', () => {
    const inProtos = (
      [
        'AgentService',
        'AuditService',
        'GovernanceService',
        'ToolService',
        'KnowledgeService',
        'ContextService',
        'TaskService',
        'RuntimeService',
        'CommandService',
      ] as AosService[]
    ).flatMap((s) => GatewayCaller.methods(s).map((m) => `${s}.${m.method}`));
    expect(rows.map((r) => `${r.service}.${r.method}`).sort()).toEqual(inProtos.sort());
  });

  async function denials(key: string, expectAllowed: (row: RoleTableRow) => boolean): Promise<string[]> {
    const mismatches: string[] = [];
    for (const row of rows) {
      const stream = GatewayCaller.methods(row.service as AosService).find((m) => m.method === row.method)!.stream;
      const outcome = await gateway.call(
        row.service as AosService,
        row.method,
        stream ? STREAM_REQUEST : {},
        `Bearer ${key}`,
      );
      const denied = outcome.status === 'PERMISSION_DENIED';
      if (outcome.status === 'UNAUTHENTICATED') mismatches.push(`${row.service}.${row.method}: UNAUTHENTICATED`);
      else if (denied === expectAllowed(row)) {
        mismatches.push(`${row.service}.${row.method} (${row.permission}): ${outcome.status} ${outcome.details}`);
      }
    }
    return mismatches;
  }

  it.each(BUILT_IN_ROLE_NAMES)('%s is refused exactly where the table says —', async (role) => {
    expect(await denials(keys.get(role)!, (row) => row.allowed[role])).toEqual([]);
  });

  it('the bootstrap admin (system admin and tenant-admin) may call what either column allows', async () => {
    expect(await denials(t.apiKey, (row) => row.allowed['tenant-admin'] || row.allowed[SYSTEM_ADMIN_COLUMN])).toEqual(
      [],
    );
  });
});
