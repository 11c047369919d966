// Bundles the verifier into ONE file an auditor runs with plain `node`: the
// merkle-log sources and canonicalize inlined, only node: built-ins imported at
// run time. esbuild comes from the monorepo's node_modules (through vite).
// Output: dist/ (gitignored), the package @aos/audit-verify: the .mjs, its
// package.json (bin aos-audit-verify) and this README. The package.json is
// written here rather than kept in the source folder: a package.json under
// clients/* would be an npm workspace missing from package-lock.json, which
// `npm ci` refuses.
import { build } from 'esbuild';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
export const OUTFILE = join(dist, 'aos-audit-verify.mjs');

const PACKAGE = {
  name: '@aos/audit-verify',
  version: '0.1.0',
  description: "Checks an AgentOS audit bundle offline with the log's public key; no dependencies",
  license: 'Apache-2.0',
  type: 'module',
  bin: { 'aos-audit-verify': './aos-audit-verify.mjs' },
  files: ['aos-audit-verify.mjs', 'README.md'],
  engines: { node: '>=20.19.0' },
};

/** Builds dist/aos-audit-verify.mjs and returns its path. */
export async function buildStandalone() {
  const result = await build({
    entryPoints: [join(here, 'src', 'main.ts')],
    outfile: OUTFILE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig: join(here, '..', '..', 'tsconfig.json'),
    banner: { js: '#!/usr/bin/env node' },
    // Anything that is not a built-in must be inlined: refuse to leave an import behind.
    external: builtinModules.map((name) => `node:${name}`),
    metafile: true,
    // Written below, each file by a rename: two test files may build at once.
    write: false,
    logLevel: 'warning',
  });
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
  const outside = imports.filter((path) => !path.startsWith('node:'));
  if (outside.length > 0) throw new Error(`the standalone file would import ${outside.join(', ')} at run time`);
  await mkdir(dist, { recursive: true });
  await writeAtomically(OUTFILE, result.outputFiles[0].contents, 0o755);
  await writeAtomically(join(dist, 'package.json'), `${JSON.stringify(PACKAGE, null, 2)}\n`);
  await writeAtomically(join(dist, 'README.md'), await readFile(join(here, 'README.md')));
  return OUTFILE;
}

/** A reader sees the old file or the new one, never a half-written one. */
async function writeAtomically(path, contents, mode = 0o644) {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents, { mode });
  await rename(temporary, path);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await buildStandalone());
}
