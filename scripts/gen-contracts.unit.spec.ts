import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./gen-contracts.mjs', import.meta.url));
const stamp = fileURLToPath(new URL('../libs/contracts/src/gen/.stamp', import.meta.url));
const check = () => spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });

describe('npm run gen:check', () => {
  it('passes on fresh contracts and fails once the protos no longer match what was generated', () => {
    expect(check().status).toBe(0);
    const original = readFileSync(stamp, 'utf8');
    try {
      // What a proto edit without `npm run gen` looks like to the check.
      writeFileSync(stamp, 'generated-from-other-protos\n');
      const stale = check();
      expect(stale.status).toBe(1);
      expect(stale.stderr).toContain('stale');
    } finally {
      writeFileSync(stamp, original);
    }
    expect(check().status).toBe(0);
  });
});
