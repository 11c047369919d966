import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderRoleTable, roleTable } from '../src/authz/role-table';

const ROOT = join(import.meta.dirname, '../../..');
const README = join(ROOT, 'README.md');
const SCRIPT = join(ROOT, 'scripts/gen-role-table.ts');

function genRoles(...args: string[]): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr };
}

describe('the README role table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aos-roles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is up to date with the declarations (npm run gen:roles -- --check)', () => {
    const run = genRoles('--check');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('--check fails on a stale table, and a run without it brings the file up to date', () => {
    const copy = join(dir, 'README.md');
    copyFileSync(README, copy);
    writeFileSync(copy, readFileSync(copy, 'utf8').replace('| `AgentService.CreateAgent`', '| `AgentService.MadeUp`'));
    expect(genRoles('--check', '--readme', copy).status).toBe(1);
    expect(genRoles('--readme', copy).status).toBe(0);
    expect(genRoles('--check', '--readme', copy).status).toBe(0);
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(README, 'utf8'));
  });

  it('computes the cells from the roles: spot checks against the design', () => {
    const rows = new Map(roleTable().map((r) => [`${r.service}.${r.method}`, r.allowed]));
    expect(rows.size).toBe(71);
    expect(rows.get('AgentService.ListAgentVersions')).toMatchObject({ viewer: true, auditor: true });
    expect(rows.get('AgentService.RollbackAgent')).toMatchObject({
      'agent-manager': true,
      operator: false,
      viewer: false,
    });
    expect(rows.get('KnowledgeService.Search')).toMatchObject({ viewer: true, auditor: true, 'task-submitter': true });
    expect(rows.get('KnowledgeService.AddDocument')).toMatchObject({
      'agent-manager': true,
      operator: false,
      viewer: false,
    });
    expect(rows.get('ContextService.PutContext')).toMatchObject({ operator: true, viewer: false, auditor: false });
    expect(rows.get('AgentService.CreateAgent')).toMatchObject({
      'tenant-admin': true,
      'agent-manager': true,
      viewer: false,
      'system admin': false,
    });
    expect(rows.get('AgentService.PauseAgent')).toMatchObject({
      operator: true,
      'task-submitter': false,
      auditor: false,
    });
    expect(rows.get('AuditService.ReplayEvents')).toMatchObject({
      auditor: true,
      operator: false,
      'tenant-admin': true,
    });
    expect(rows.get('AuditService.ExportEvents')).toMatchObject({
      auditor: true,
      viewer: false,
      operator: false,
      'tenant-admin': true,
    });
    expect(rows.get('GovernanceService.CreateTenant')).toMatchObject({ 'tenant-admin': false, 'system admin': true });
    expect(rows.get('GovernanceService.WhoAmI')).toMatchObject({
      viewer: true,
      'task-submitter': true,
      'system admin': false,
    });
    expect(rows.get('ToolService.DisableTool')).toMatchObject({
      operator: true,
      'agent-manager': false,
      viewer: false,
      'tenant-admin': true,
    });
    expect(rows.get('ToolService.ListTools')).toMatchObject({
      viewer: true,
      auditor: true,
      'agent-manager': true,
      'task-submitter': false,
    });
    expect(rows.get('TaskService.SubmitTask')).toMatchObject({
      'task-submitter': true,
      operator: true,
      viewer: false,
      'system admin': false,
    });
    expect(rows.get('TaskService.ReassignTask')).toMatchObject({ operator: true, 'task-submitter': false });
    // Only a tenant admin, or a custom role granting runtime.attach, may attach an external agent process.
    expect(rows.get('RuntimeService.Connect')).toMatchObject({
      'tenant-admin': true,
      operator: false,
      'agent-manager': false,
      'system admin': false,
    });
    expect(renderRoleTable(roleTable())).toContain(
      '| `GovernanceService.DecideApproval` (`approvals.decide`) | ✓ | — | ✓ | — | — | — | — |',
    );
  });
});
