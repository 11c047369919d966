import { type Checkpoint, CheckpointError, type NoteVerifier, openCheckpoint, parseVerifierKey } from './checkpoint';
import { type SealedEvent, sealedLeafInput } from './event-leaf';
import { HASH_SIZE, leafHash } from './hash';
import { verifyInclusion } from './verify';

/**
 * The audit bundle (audit.proto, EXPORT_FORMAT_BUNDLE): JSON Lines, a header,
 * one line per event with its inclusion proof, a trailer. A verifier needs the
 * file and the log's key, nothing else.
 */
export const BUNDLE_FORMAT = 'aos-audit-bundle/1';

/** Line 1: what the file covers and the signed checkpoint every proof is checked against. */
export interface BundleHeader {
  format: typeof BUNDLE_FORMAT;
  /** "<log name>/tenants/<tenant id>", the checkpoint's first line. */
  origin: string;
  tenantId: string;
  /** The signed note (C2SP tlog-checkpoint, Ed25519) of a tree covering every event in the file. */
  checkpoint: string;
  treeSize: number;
  /** The checkpoint's root, base64. */
  rootHash: string;
  /** The log's key as GetLogKey gives it: informative only, a verifier must get the key elsewhere. */
  verifierKey: string;
  /** True when the file holds every leaf 0..treeSize-1 (no filter). */
  complete: boolean;
  /** The export request's filters. */
  filter: Record<string, unknown>;
}

/** One event: its leaf index, the sealed event (the leaf is computed from it as it stands), its proof. */
export interface BundleEventLine {
  index: number;
  event: SealedEvent;
  /** The inclusion proof in the checkpoint's tree, base64 hashes bottom-up. */
  proof: string[];
}

/** The last line: what the file holds (0 positions when no event). */
export interface BundleTrailer {
  end: true;
  eventCount: number;
  firstPosition: number;
  lastPosition: number;
}

/** The header line, "\n" included; keys in the documented order. */
export function bundleHeaderLine(header: Omit<BundleHeader, 'format'>): string {
  const line: BundleHeader = {
    format: BUNDLE_FORMAT,
    origin: header.origin,
    tenantId: header.tenantId,
    checkpoint: header.checkpoint,
    treeSize: header.treeSize,
    rootHash: header.rootHash,
    verifierKey: header.verifierKey,
    complete: header.complete,
    filter: header.filter,
  };
  return `${JSON.stringify(line)}\n`;
}

/** An event line, "\n" included; the proof as MerkleTree.inclusionProof gives it (or already base64). */
export function bundleEventLine(index: number, event: SealedEvent, proof: readonly (Uint8Array | string)[]): string {
  const line: BundleEventLine = {
    index,
    event,
    proof: proof.map((hash) => (typeof hash === 'string' ? hash : Buffer.from(hash).toString('base64'))),
  };
  return `${JSON.stringify(line)}\n`;
}

/** The trailer line, "\n" included. */
export function bundleTrailerLine(trailer: Omit<BundleTrailer, 'end'>): string {
  const line: BundleTrailer = {
    end: true,
    eventCount: trailer.eventCount,
    firstPosition: trailer.firstPosition,
    lastPosition: trailer.lastPosition,
  };
  return `${JSON.stringify(line)}\n`;
}

export interface VerifyBundleOptions {
  /** The log's C2SP verifier key, obtained apart from the bundle (GetLogKey, the operator). */
  trustedKey?: string;
  /**
   * Use the header's verifierKey when no trustedKey is given. That only shows
   * the file is self-consistent: whoever wrote it may have signed it with a
   * key of their own (cf. sigstore-python #248). The result says keySource 'bundle'.
   */
  trustBundleKey?: boolean;
}

/** The first thing that does not hold: the 1-based line, the leaf index and event position when known, and why. */
export interface BundleProblem {
  line: number;
  index?: number;
  position?: number;
  reason: string;
}

export interface BundleVerification {
  ok: boolean;
  /** Event lines whose proof verified. */
  eventsChecked: number;
  /** From the header (0 when it did not parse). */
  treeSize: number;
  origin: string;
  tenantId: string;
  complete: boolean;
  /** Which key the checkpoint was opened with: 'bundle' proves only that the file is self-consistent. */
  keySource: 'trusted' | 'bundle';
  /** The checkpoint's time line, when it opened. */
  checkpointTime?: string;
  /** Positions of the first and last event read (0 when none). */
  firstPosition: number;
  lastPosition: number;
  firstBad?: BundleProblem;
}

/** Thrown by verifyBundle for options that cannot work (no key, a key that does not parse): the caller's mistake, not the file's. */
export class BundleOptionsError extends Error {
  override readonly name = 'BundleOptionsError';
}

/**
 * Verifies an audit bundle line by line (each string one line, without its
 * "\n"), holding one line at a time, and reports the first failure. See
 * clients/audit-verify/README.md for what each check means.
 */
export async function verifyBundle(
  lines: AsyncIterable<string> | Iterable<string>,
  options: VerifyBundleOptions,
): Promise<BundleVerification> {
  const trusted = trustedVerifier(options);
  const run = new BundleRun(trusted);
  let lineNumber = 0;
  for await (const text of lines) {
    lineNumber += 1;
    if (!run.accept(lineNumber, text)) break;
  }
  if (!run.result.firstBad) run.finish(lineNumber);
  return run.result;
}

function trustedVerifier(options: VerifyBundleOptions): NoteVerifier | undefined {
  if (options.trustedKey !== undefined) {
    try {
      return parseVerifierKey(options.trustedKey.trim());
    } catch (error) {
      throw new BundleOptionsError(`the trusted key does not parse: ${(error as Error).message}`);
    }
  }
  if (options.trustBundleKey) return undefined;
  throw new BundleOptionsError(
    'a trusted key is required (the log key from GetLogKey or the operator); the bundle key proves only that the file is self-consistent',
  );
}

interface OpenedHeader {
  header: BundleHeader;
  checkpoint: Checkpoint;
}

/** The state of one verification: the header, the previous event line, the trailer once read. */
class BundleRun {
  readonly result: BundleVerification = {
    ok: false,
    eventsChecked: 0,
    treeSize: 0,
    origin: '',
    tenantId: '',
    complete: false,
    keySource: 'trusted',
    firstPosition: 0,
    lastPosition: 0,
  };
  private opened: OpenedHeader | undefined;
  private previous: { index: number; position: number } | undefined;
  private trailerLine = 0;
  /** A last empty line after the trailer (a split on "\n" of a whole file gives one) is no line. */
  private blankAfterTrailer = 0;

  constructor(private readonly trusted: NoteVerifier | undefined) {
    this.result.keySource = trusted ? 'trusted' : 'bundle';
  }

  /** Checks one line; false once a problem is found (the result holds it). */
  accept(line: number, text: string): boolean {
    if (this.trailerLine > 0) {
      if (text === '' && this.blankAfterTrailer === 0) {
        this.blankAfterTrailer = line;
        return true;
      }
      return this.fail({
        line,
        reason: `line ${line} comes after the trailer (line ${this.trailerLine}): nothing may follow it`,
      });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const what = line === 1 ? 'the header' : 'an event line or the trailer';
      return this.fail({ line, reason: `line ${line} is not JSON (${(error as Error).message}); expected ${what}` });
    }
    if (!isObject(value)) return this.fail({ line, reason: `line ${line} is not a JSON object` });
    if (!this.opened) return this.acceptHeader(line, value);
    if (value.end === true) return this.acceptTrailer(line, value);
    return this.acceptEvent(line, value, this.opened);
  }

  /** At the end of the input: a trailer must have been read. */
  finish(lastLine: number): void {
    if (!this.opened) {
      this.fail({ line: 1, reason: 'the file is empty: no header' });
      return;
    }
    if (this.trailerLine === 0) {
      const next = this.previous ? this.previous.index + 1 : 0;
      const after = this.previous
        ? `after line ${lastLine} (index ${this.previous.index}, position ${this.previous.position})`
        : `after the header`;
      this.fail({
        line: lastLine + 1,
        ...(this.opened.header.complete && next < this.opened.header.treeSize && { index: next }),
        reason: `the file ends ${after} without a trailer: it was truncated`,
      });
      return;
    }
    this.result.ok = true;
  }

  private acceptHeader(line: number, value: Record<string, unknown>): boolean {
    const fail = (reason: string) => this.fail({ line, reason: `line ${line} (the header): ${reason}` });
    if (value.format !== BUNDLE_FORMAT) {
      return fail(`format ${JSON.stringify(value.format)} is not ${JSON.stringify(BUNDLE_FORMAT)}`);
    }
    const shapeProblem = headerShapeProblem(value);
    if (shapeProblem) return fail(shapeProblem);
    const header = value as unknown as BundleHeader;
    Object.assign(this.result, {
      treeSize: header.treeSize,
      origin: header.origin,
      tenantId: header.tenantId,
      complete: header.complete,
    });
    if (!header.origin.endsWith(`/tenants/${header.tenantId}`)) {
      return fail(
        `origin ${header.origin} is not the origin of tenant ${header.tenantId} ("<log name>/tenants/<tenant id>")`,
      );
    }
    let verifier = this.trusted;
    if (!verifier) {
      try {
        verifier = parseVerifierKey(header.verifierKey);
      } catch (error) {
        return fail(`verifierKey does not parse: ${(error as Error).message}`);
      }
    }
    let checkpoint: Checkpoint;
    try {
      checkpoint = openCheckpoint(header.checkpoint, verifier);
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      const whose = this.trusted ? 'the trusted key' : "the bundle's own verifierKey";
      return fail(`the checkpoint does not verify with ${whose} ${verifier.name}: ${error.message}`);
    }
    this.result.checkpointTime = checkpoint.time;
    if (checkpoint.origin !== header.origin) {
      return fail(`the signed checkpoint is of origin ${checkpoint.origin}, the header says ${header.origin}`);
    }
    if (checkpoint.size !== header.treeSize) {
      return fail(
        `the signed checkpoint is of tree size ${checkpoint.size}, the header says treeSize ${header.treeSize}`,
      );
    }
    if (checkpoint.rootHash.toString('base64') !== header.rootHash) {
      return fail(
        `the signed checkpoint's root ${checkpoint.rootHash.toString('base64')} is not the header's rootHash`,
      );
    }
    this.opened = { header, checkpoint };
    return true;
  }

  private acceptEvent(line: number, value: Record<string, unknown>, { header, checkpoint }: OpenedHeader): boolean {
    const { index, event, proof } = value;
    const position = isObject(event) && isCount(event.position) ? event.position : undefined;
    const at = { line, ...(isCount(index) && { index }), ...(position !== undefined && { position }) };
    const where = `line ${line}${isCount(index) ? ` (index ${index}${position !== undefined ? `, position ${position}` : ''})` : ''}`;
    const fail = (reason: string, problem: Partial<BundleProblem> = {}) =>
      this.fail({ ...at, ...problem, reason: `${where}: ${reason}` });

    if (!isCount(index)) return fail(`index ${JSON.stringify(index)} is not a non-negative integer`);
    if (!isObject(event)) return fail('event is not an object');
    if (position === undefined)
      return fail(`event.position ${JSON.stringify(event.position)} is not a non-negative integer`);
    if (!Array.isArray(proof) || !proof.every((hash) => typeof hash === 'string')) {
      return fail('proof is not an array of base64 strings');
    }
    if (index >= header.treeSize) {
      return fail(`index ${index} is outside the checkpoint's tree of ${header.treeSize} leaves`);
    }
    const previous = this.previous;
    if (previous && index <= previous.index) {
      return fail(
        `index ${index} is not after the previous line's index ${previous.index}: event lines were reordered or repeated`,
      );
    }
    const expected = previous ? previous.index + 1 : 0;
    if (header.complete && index !== expected) {
      const missing = index - 1 === expected ? `index ${expected} is` : `indices ${expected}..${index - 1} are`;
      return fail(`${missing} missing before this line in a complete bundle: event line(s) deleted or moved`, {
        index: expected,
      });
    }
    if (previous && position <= previous.position) {
      return fail(`position ${position} is not after the previous event's position ${previous.position}`);
    }
    const metadata = event.metadata;
    const tenantId = isObject(metadata) ? metadata.tenantId : undefined;
    if (tenantId !== header.tenantId) {
      return fail(`event.metadata.tenantId ${JSON.stringify(tenantId)} is not the bundle's tenant ${header.tenantId}`);
    }
    const hashes = proof.map((hash) => decodeHash(hash as string));
    if (hashes.some((hash) => hash === undefined)) {
      return fail(`proof holds a value that is not a base64 ${HASH_SIZE}-byte hash`);
    }
    let leaf: Buffer;
    try {
      leaf = leafHash(sealedLeafInput(event));
    } catch (error) {
      return fail(`the event has no canonical JSON (${(error as Error).message})`);
    }
    if (!verifyInclusion(leaf, index, header.treeSize, hashes as Buffer[], checkpoint.rootHash)) {
      return fail(
        `the event's leaf is not at index ${index} of the signed tree of ${header.treeSize} leaves: the event was changed, or its proof is not the log's`,
      );
    }
    if (!previous) this.result.firstPosition = position;
    this.result.lastPosition = position;
    this.previous = { index, position };
    this.result.eventsChecked += 1;
    return true;
  }

  private acceptTrailer(line: number, value: Record<string, unknown>): boolean {
    const header = this.opened!.header;
    const fail = (reason: string, problem: Partial<BundleProblem> = {}) =>
      this.fail({ line, ...problem, reason: `line ${line} (the trailer): ${reason}` });
    const read = this.result.eventsChecked;
    if (header.complete && read !== header.treeSize) {
      const next = this.previous ? this.previous.index + 1 : 0;
      return fail(
        `indices ${next}..${header.treeSize - 1} are missing: a complete bundle holds all ${header.treeSize} leaves, the file ${read}`,
        { index: next },
      );
    }
    const expected: Omit<BundleTrailer, 'end'> = {
      eventCount: read,
      firstPosition: this.result.firstPosition,
      lastPosition: this.result.lastPosition,
    };
    for (const [key, want] of Object.entries(expected)) {
      if (value[key] !== want) {
        return fail(`${key} ${JSON.stringify(value[key])} is not what the file holds (${want})`);
      }
    }
    this.trailerLine = line;
    return true;
  }

  private fail(problem: BundleProblem): false {
    this.result.ok = false;
    this.result.firstBad = problem;
    return false;
  }
}

/** What is wrong with the header's fields (format already checked), or undefined. */
function headerShapeProblem(value: Record<string, unknown>): string | undefined {
  for (const key of ['origin', 'tenantId', 'checkpoint', 'verifierKey'] as const) {
    if (typeof value[key] !== 'string' || value[key] === '') return `${key} is not a non-empty string`;
  }
  if (!isCount(value.treeSize)) return `treeSize ${JSON.stringify(value.treeSize)} is not a non-negative integer`;
  if (typeof value.rootHash !== 'string' || decodeHash(value.rootHash) === undefined) {
    return `rootHash is not a base64 ${HASH_SIZE}-byte hash`;
  }
  if (typeof value.complete !== 'boolean') return 'complete is not true or false';
  if (!isObject(value.filter)) return 'filter is not an object';
  // Neither flag nor filter is signed; an unfiltered export is complete, so this pair is a complete bundle
  // with its flag turned off (to hide deleted lines).
  if (!value.complete && Object.keys(value.filter).length === 0) {
    return 'complete is false but filter is empty: an unfiltered export holds every leaf';
  }
  return undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeHash(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === HASH_SIZE ? bytes : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The verification as text for a person: one line when it holds, else the first bad line and why. */
export function describeBundleVerification(result: BundleVerification): string {
  const keyNote =
    result.keySource === 'bundle'
      ? "\nwarning: checked with the bundle's own verifierKey (--trust-bundle-key): this shows only that the file is self-consistent, not that the log signed it; pass the log's key with --key\n"
      : '';
  if (result.ok) {
    const range = result.eventsChecked > 0 ? `, positions ${result.firstPosition}-${result.lastPosition}` : '';
    return (
      `verified: ${result.eventsChecked} event(s) of ${result.origin}${range}, in the signed tree of ${result.treeSize} leaves` +
      `${result.checkpointTime ? ` (checkpoint ${result.checkpointTime})` : ''}` +
      `${result.complete ? ', complete' : ', filtered'}\n${keyNote}`
    );
  }
  const bad = result.firstBad!;
  const at = [`line ${bad.line}`];
  if (bad.index !== undefined) at.push(`index ${bad.index}`);
  if (bad.position !== undefined) at.push(`position ${bad.position}`);
  return `NOT VERIFIED: first bad ${at.join(', ')}\n${bad.reason}\n(${result.eventsChecked} event(s) verified before it)\n${keyNote}`;
}
