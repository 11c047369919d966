#!/usr/bin/env node
// Runs before `npm start` and `npm test`: installs what a fresh clone lacks
// (npm packages, nats-server), regenerates the gRPC contracts and the console's
// clients when stale, builds the web console when its build is missing or
// older than its sources, and compiles the services (dist/services, which the
// launcher runs) when a source is newer than their build.
// Only Node built-ins here: it must work before `npm install` has ever run.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`AgentOS needs Node.js 20.19 or newer; this is ${process.versions.node}.`);
  process.exit(1);
}

function run(cmd, args, what) {
  console.error(`> ${what}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${what} failed (exit ${r.status ?? r.signal}).`);
    process.exit(1);
  }
}

// npm packages: install when node_modules is missing or older than the lock file.
const installedMarker = join(root, 'node_modules/.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(installedMarker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installedMarker).mtimeMs)) {
  run(
    'npm',
    existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'],
    'installing npm packages',
  );
}

// nats-server: only needed when no external NATS is configured.
function onPath(bin) {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean).concat(['/usr/sbin', '/usr/local/bin'])) {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      /* keep looking */
    }
  }
  return false;
}
const needsNats = !process.env.AOS_NATS_URL || process.env.npm_lifecycle_event === 'pretest';
if (needsNats && !process.env.AOS_NATS_SERVER_BIN && !onPath('nats-server')) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && onPath('apt-get')) {
    run('apt-get', ['update', '-q'], 'updating package lists');
    run('apt-get', ['install', '-y', '-q', 'nats-server'], 'installing nats-server');
  } else {
    console.error(
      'nats-server is not installed. Install it (Debian/Ubuntu: `sudo apt-get install nats-server`;\n' +
        'elsewhere: https://docs.nats.io/running-a-nats-service/introduction/installation),\n' +
        'or point AOS_NATS_SERVER_BIN at the binary, or AOS_NATS_URL at a NATS server with JetStream.',
    );
    process.exit(1);
  }
}

for (const script of ['scripts/gen-contracts.mjs', 'scripts/gen-console.mjs']) {
  const gen = spawnSync(process.execPath, [join(root, script)], { cwd: root, stdio: 'inherit' });
  if (gen.status !== 0) process.exit(1);
}

// The console: the gateway serves clients/console/dist, and the browser tests drive it.
function newestChange(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}
const consoleDir = join(root, 'clients/console');
const builtIndex = join(consoleDir, 'dist/index.html');
const consoleSources = ['src', 'index.html', 'vite.config.ts'].map((p) => join(consoleDir, p));
if (!existsSync(builtIndex) || Math.max(...consoleSources.map(newestChange)) > statSync(builtIndex).mtimeMs) {
  run('npm', ['run', 'console:build'], 'building the web console');
}

// The services' JavaScript (scripts/build-services.mjs; ~1 s, nothing when fresh). The launcher checks again
// before it forks one, so a test run alone or a source saved since is never run stale.
{
  const build = spawnSync(process.execPath, [join(root, 'scripts/build-services.mjs'), '--if-stale'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(1);
}
