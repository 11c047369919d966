import { SEALED_DATA_FIELDS, type CheckpointSignedData } from '@aos/domain';
import {
  Frontier,
  HASH_SIZE,
  HashList,
  eventLeaf,
  openCheckpoint,
  positionsDigest,
  type LoggedEvent,
  type NoteVerifier,
} from '@aos/merkle-log';

/** The answer of AuditService.VerifyLog (audit.proto), problem as its enum's name. */
export interface VerifyOutcome {
  ok: boolean;
  eventsChecked: number;
  checkpointsChecked: number;
  verifiedTreeSize: number;
  verifiedPosition: number;
  unverifiedEvents: number;
  firstBadPosition: number;
  problem: VerifyProblemName;
  reason: string;
  /** The recomputed tree: only when the events were read from the first. */
  treeSize: number;
  rootHash: Buffer;
}

export type VerifyProblemName =
  | 'VERIFY_PROBLEM_UNSPECIFIED'
  | 'EVENT_CHANGED'
  | 'BAD_SIGNATURE'
  | 'CHECKPOINT_AHEAD'
  | 'ROOT_MISMATCH'
  | 'TRUSTED_CHECKPOINT_MISSING'
  | 'EVENTS_MISSING';

export interface VerifyInput {
  /** The tenant's CheckpointSigned events (its `checkpoint-<tenant>` stream), in order. */
  checkpoints: readonly LoggedEvent[];
  /** The tenant's events after a position, in log order. */
  events: (after: number) => AsyncIterable<LoggedEvent>;
  verifier: NoteVerifier;
  origin: string;
  /** Events at or before it are not counted; those covered by a valid checkpoint ending at or before it are not read. */
  afterPosition: number;
  /** Read no further than this position. */
  untilPosition: number;
  /** False when untilPosition is the log head: then fewer events than the checkpoints cover means events were removed. */
  untilGiven: boolean;
  trustedCheckpoint?: string;
}

interface Problem {
  position: number;
  problem: VerifyProblemName;
  reason: string;
}

/** A checkpoint whose signature, leaf list and chain held. */
interface VerifiedCheckpoint {
  size: number;
  lastPosition: number;
  position: number;
}

/**
 * VerifyLog's check, in two passes. First the checkpoints alone: each must be
 * signed by the log's key, for this tenant's origin, and continue the one
 * before it, its leaf list (the leaves added since) with the leaves before
 * giving its signed root; so every listed leaf is authenticated by a
 * signature, and the first checkpoint that fails ends the chain. Then the
 * events: each leaf recomputed from the event as the log holds it now and
 * compared with the authenticated leaf of its index; the first that differs
 * names the first bad position exactly (changed, or something before it
 * deleted, inserted or moved: each moves every later index). Events past the
 * chain are hashed but unverified.
 */
export async function verifyLog(input: VerifyInput): Promise<VerifyOutcome> {
  const chain = verifyChain(input);
  const { claimed, claimedPositions, verified } = chain;
  let problem: Problem | undefined = chain.problem;

  const start = [...verified].reverse().find((c) => c.lastPosition <= input.afterPosition);
  const fromStart = !start || input.trustedCheckpoint !== undefined;
  let index = fromStart ? 0 : start.size;
  const frontier = fromStart ? new Frontier() : undefined;
  const recomputed = input.trustedCheckpoint !== undefined ? new HashList() : undefined;
  let eventsChecked = 0;
  let unverified = 0;
  let matched = index;
  let lastPosition = fromStart ? 0 : start.lastPosition;

  for await (const event of input.events(fromStart ? 0 : start.lastPosition)) {
    if (event.position > input.untilPosition) break;
    if (problem && event.position >= problem.position) break;
    let leaf: Buffer;
    try {
      leaf = eventLeaf(event, SEALED_DATA_FIELDS);
    } catch (err) {
      problem = {
        position: event.position,
        problem: 'EVENT_CHANGED',
        reason: `the event at position ${event.position} has no leaf (${(err as Error).message}): it was changed`,
      };
      break;
    }
    frontier?.append(leaf);
    recomputed?.push(leaf);
    if (event.position > input.afterPosition) eventsChecked += 1;
    lastPosition = event.position;
    if (index < claimed.length) {
      if (!leaf.equals(claimed.view(index))) {
        problem = changedLeaf(index, claimedPositions[index], event);
        break;
      }
      matched = index + 1;
    } else {
      unverified += 1;
    }
    index += 1;
  }

  if (!problem && !input.untilGiven && index < claimed.length) {
    const short = verified.find((c) => c.size > index) as VerifiedCheckpoint;
    problem = {
      position: claimedPositions[index],
      problem: 'EVENTS_MISSING',
      reason:
        `the event at position ${claimedPositions[index]} (leaf ${index}) is missing: the checkpoint at position ` +
        `${short.position} covers ${short.size} events but the log holds ${index} (none after position ${lastPosition})`,
    };
  }
  if (!problem && input.trustedCheckpoint !== undefined && recomputed) {
    problem = checkTrusted(input, recomputed, claimed.length);
  }

  const good = [...verified].reverse().find((c) => c.size <= matched);
  return {
    ok: problem === undefined,
    eventsChecked,
    checkpointsChecked: verified.length + (chain.problem ? 1 : 0),
    verifiedTreeSize: good?.size ?? 0,
    verifiedPosition: good?.lastPosition ?? 0,
    unverifiedEvents: unverified,
    firstBadPosition: problem?.position ?? 0,
    problem: problem?.problem ?? 'VERIFY_PROBLEM_UNSPECIFIED',
    reason: problem?.reason ?? summary(verified, unverified),
    treeSize: frontier?.size ?? 0,
    rootHash: frontier?.root() ?? Buffer.alloc(0),
  };
}

/**
 * The first event whose leaf is not the signed one, named by where the
 * checkpoints say leaf `index` was (`signedAt`) and where the log has its
 * event now: the earlier of the two is the first bad position.
 */
function changedLeaf(index: number, signedAt: number, event: LoggedEvent): Problem {
  if (signedAt < event.position) {
    return {
      position: signedAt,
      problem: 'EVENT_CHANGED',
      reason:
        `the event at position ${signedAt} (leaf ${index}) is missing: deleted, moved, or no longer readable ` +
        `(a store hides a record whose checksum fails); the log's next event of the tenant is at ${event.position}`,
    };
  }
  if (signedAt > event.position) {
    return {
      position: event.position,
      problem: 'EVENT_CHANGED',
      reason:
        `the event at position ${event.position} (${event.type} of ${event.stream}) was not in the log when leaf ` +
        `${index} was signed (that leaf's event was at ${signedAt}): it was inserted or moved`,
    };
  }
  return {
    position: event.position,
    problem: 'EVENT_CHANGED',
    reason: `the event at position ${event.position} (${event.type} of ${event.stream}) is not leaf ${index} as signed: it was changed`,
  };
}

function summary(verified: readonly VerifiedCheckpoint[], unverified: number): string {
  const newest = verified.at(-1);
  const covered = newest
    ? `${verified.length} checkpoint(s) hold; events up to position ${newest.lastPosition} are proven unchanged`
    : 'no signed checkpoint yet: nothing is proven';
  return unverified > 0 ? `${covered}; ${unverified} newer event(s) are not covered by a checkpoint yet` : covered;
}

function verifyChain(input: VerifyInput): {
  claimed: HashList;
  /** The log position each claimed leaf's event had when it was signed. */
  claimedPositions: number[];
  verified: VerifiedCheckpoint[];
  problem?: Problem;
} {
  const claimed = new HashList();
  const claimedPositions: number[] = [];
  const verified: VerifiedCheckpoint[] = [];
  let frontier = new Frontier();
  for (const event of input.checkpoints) {
    if (event.position > input.untilPosition) break;
    const bad = (problem: VerifyProblemName, why: string): Problem => ({
      position: event.position,
      problem,
      reason: `the checkpoint at position ${event.position} ${why}`,
    });
    const data = event.data as Partial<CheckpointSignedData>;
    let checkpoint;
    try {
      checkpoint = openCheckpoint(String(data?.note ?? ''), input.verifier);
    } catch (err) {
      const problem = bad('BAD_SIGNATURE', `is not signed by the log's key: ${(err as Error).message}`);
      return { claimed, claimedPositions, verified, problem };
    }
    if (checkpoint.origin !== input.origin) {
      const problem = bad('ROOT_MISMATCH', `is for ${checkpoint.origin}, not ${input.origin}`);
      return { claimed, claimedPositions, verified, problem };
    }
    const leaves = Array.isArray(data.leaves) ? data.leaves : undefined;
    const positions = Array.isArray(data.positions) ? data.positions : undefined;
    const listed = leaves?.map((l) => (typeof l === 'string' ? Buffer.from(l, 'base64') : Buffer.alloc(0)));
    const mismatch =
      data.treeSize !== checkpoint.size || data.rootHash !== checkpoint.rootHash.toString('base64')
        ? 'records a size or root other than its signed note'
        : !listed || listed.some((l) => l.length !== HASH_SIZE)
          ? 'has no valid leaf list'
          : !positions ||
              positions.length !== listed.length ||
              checkpoint.positions === undefined ||
              positionsDigest(positions) !== checkpoint.positions
            ? 'lists leaf positions other than its signed note names'
            : positions.length > 0 && data.lastPosition !== positions.at(-1)
              ? `records its last position as ${String(data.lastPosition)}, not the signed ${String(positions.at(-1))}`
              : data.fromSize !== frontier.size
                ? `starts at leaf ${String(data.fromSize)}, but the checkpoints before it end at ${frontier.size} (one is missing or moved)`
                : frontier.size + listed.length !== checkpoint.size
                  ? `lists ${listed.length} leaves from ${frontier.size}, not up to its size ${checkpoint.size}`
                  : undefined;
    if (mismatch || !listed) {
      return { claimed, claimedPositions, verified, problem: bad('ROOT_MISMATCH', mismatch ?? 'has no leaf list') };
    }
    const next = frontier.clone();
    for (const leaf of listed) next.append(leaf);
    if (!next.root().equals(checkpoint.rootHash)) {
      const problem = bad('ROOT_MISMATCH', 'lists leaves that do not give its signed root');
      return { claimed, claimedPositions, verified, problem };
    }
    frontier = next;
    for (const leaf of listed) claimed.push(leaf);
    claimedPositions.push(...(positions as number[]));
    // Where its tree ends in the log, from the signed positions (data.lastPosition itself is not signed).
    const lastPosition = (positions as number[]).at(-1) ?? verified.at(-1)?.lastPosition ?? 0;
    verified.push({ size: checkpoint.size, lastPosition, position: event.position });
  }
  return { claimed, claimedPositions, verified };
}

function checkTrusted(input: VerifyInput, recomputed: HashList, claimedSize: number): Problem | undefined {
  let trusted;
  try {
    trusted = openCheckpoint(input.trustedCheckpoint as string, input.verifier);
  } catch (err) {
    return {
      position: 0,
      problem: 'BAD_SIGNATURE',
      reason: `trusted_checkpoint is not signed by the log's key: ${(err as Error).message}`,
    };
  }
  if (trusted.origin !== input.origin) {
    return {
      position: 0,
      problem: 'TRUSTED_CHECKPOINT_MISSING',
      reason: `trusted_checkpoint is for ${trusted.origin}, not ${input.origin}`,
    };
  }
  if (recomputed.length < trusted.size) {
    return {
      position: 0,
      problem: 'EVENTS_MISSING',
      reason: `trusted_checkpoint covers ${trusted.size} events but the log holds ${recomputed.length}`,
    };
  }
  const prefix = new Frontier();
  for (let i = 0; i < trusted.size; i++) prefix.append(recomputed.view(i));
  if (prefix.root().equals(trusted.rootHash)) return undefined;
  return {
    position: 0,
    problem: 'TRUSTED_CHECKPOINT_MISSING',
    reason:
      `the log's first ${trusted.size} events do not give trusted_checkpoint's root` +
      (claimedSize >= trusted.size ? ' (the log and its checkpoints were replaced together)' : ''),
  };
}
