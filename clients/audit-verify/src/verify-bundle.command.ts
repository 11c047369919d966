import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { BundleOptionsError, describeBundleVerification, verifyBundle } from '@aos/merkle-log';

/** Exit status: the bundle verified. */
export const EXIT_VERIFIED = 0;
/** Exit status: the bundle was read and does not verify (the first bad line is printed). */
export const EXIT_NOT_VERIFIED = 1;
/** Exit status: nothing was checked (bad arguments, a key that does not parse, a file that cannot be read). */
export const EXIT_USAGE = 2;

export const USAGE = `usage: aos-audit-verify <bundle.jsonl> --key <verifier key | @file> [--trust-bundle-key] [--json]

Checks an AgentOS audit bundle (aos audit export --format bundle) offline: the
signed checkpoint opens with the log's key, every event's leaf is in the signed
tree, and no line was changed, deleted, moved, inserted or cut off.

  --key <key|@file>   the log's verifier key, "<name>+<key id>+<base64>" (aos audit
                      key, or from the operator), or @file holding it. Get it apart
                      from the bundle: a key taken from the file proves nothing.
  --trust-bundle-key  without --key, use the key written in the bundle's header:
                      shows only that the file is self-consistent (says so)
  --json              print the result as one JSON object

Exit status: 0 verified, 1 not verified (the first bad line, index, position and
why are printed), 2 usage error or unreadable input.
`;

/** Where the command writes, and what relative paths resolve against. */
export interface VerifyIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
}

/** Thrown for arguments that cannot work; exit 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface VerifyArgs {
  bundle: string;
  key?: string;
  trustBundleKey: boolean;
  json: boolean;
}

function parseVerifyArgs(argv: readonly string[]): VerifyArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        key: { type: 'string' },
        'trust-bundle-key': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(`expected one bundle file, got ${positionals.length}`);
  if (values.key === undefined && !values['trust-bundle-key']) {
    throw new UsageError("--key is required: the log's verifier key (or @file); see --help");
  }
  return {
    bundle: positionals[0],
    ...(values.key !== undefined && { key: values.key }),
    trustBundleKey: values['trust-bundle-key'] === true,
    json: values.json === true,
  };
}

/** `--key @file`: the key is the file's text; otherwise the argument itself. */
async function readKey(value: string, cwd: string): Promise<string> {
  if (!value.startsWith('@')) return value;
  try {
    return (await readFile(resolve(cwd, value.slice(1)), 'utf8')).trim();
  } catch (error) {
    throw new UsageError(
      `cannot read the key file ${value.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
}

/** The bundle's lines, read as a stream (a bundle may hold a million events). */
async function bundleLines(path: string): Promise<AsyncIterable<string>> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${path}: ${error.code ?? error}`);
  });
  if (!info.isFile()) throw new UsageError(`${path} is not a file`);
  return createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
}

/** Runs `aos-audit-verify <argv…>` and returns the exit status. */
export async function runAuditVerify(argv: readonly string[], io: VerifyIo): Promise<number> {
  try {
    const args = parseVerifyArgs(argv);
    if (args === 'help') {
      io.stdout(USAGE);
      return EXIT_VERIFIED;
    }
    const trustedKey = args.key === undefined ? undefined : await readKey(args.key, io.cwd);
    const lines = await bundleLines(resolve(io.cwd, args.bundle));
    const result = await verifyBundle(lines, {
      ...(trustedKey !== undefined && { trustedKey }),
      trustBundleKey: args.trustBundleKey,
    });
    io.stdout(args.json ? `${JSON.stringify(result)}\n` : describeBundleVerification(result));
    return result.ok ? EXIT_VERIFIED : EXIT_NOT_VERIFIED;
  } catch (error) {
    if (error instanceof UsageError || error instanceof BundleOptionsError) {
      io.stderr(`error: ${error.message}\n${error instanceof UsageError ? `${USAGE}` : ''}`);
      return EXIT_USAGE;
    }
    // A read that fails half-way: nothing can be said about the file.
    const code = (error as NodeJS.ErrnoException).code;
    if (code) {
      io.stderr(`error: cannot read the bundle: ${code}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
