/**
 * `npm run gen:roles`: writes the role × method table into README.md, between
 * the role-table markers, from the permissions the gateway's controllers
 * declare (@RequiresPermission) and the built-in roles, each cell decided by a
 * real AccessModel through the gateway's own authorize(). `--check` changes
 * nothing and exits 1 when README.md is not up to date. `--readme <path>`
 * points at another file (for tests).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRoleTable, roleTable } from '../services/gateway/src/authz/role-table';

const START = '<!-- role-table:start -->';
const END = '<!-- role-table:end -->';

/** README text with the section between the markers replaced by `table`. */
function spliceRoleTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README has no ${START} … ${END} section`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const at = argv.indexOf('--readme');
  const path = at >= 0 ? argv[at + 1]! : join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
  const current = readFileSync(path, 'utf8');
  const next = spliceRoleTable(current, renderRoleTable(roleTable()));
  if (next === current) return 0;
  if (check) {
    process.stderr.write(`${path}: the role table is out of date; run npm run gen:roles\n`);
    return 1;
  }
  writeFileSync(path, next);
  process.stdout.write(`${path}: role table updated\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
