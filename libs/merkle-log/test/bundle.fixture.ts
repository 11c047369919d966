import { generateKeyPairSync } from 'node:crypto';
import {
  type LoggedEvent,
  MerkleTree,
  type NoteSigner,
  type SealedEvent,
  bundleEventLine,
  bundleHeaderLine,
  bundleTrailerLine,
  leafHash,
  noteSigner,
  noteVerifier,
  sealedEvent,
  sealedLeafInput,
  signCheckpoint,
  verifierKey,
} from '../src';

/** Test fixtures of audit bundles: realistic sealed events, a signed tree, the lines the writer helpers give. */

export const LOG_NAME = 'agentos.test';
export const TENANT = '7c1e5a90-2b4d-4f7e-9a61-0d3c8e2f4b15';
export const ORIGIN = `${LOG_NAME}/tenants/${TENANT}`;

/** The fields the audit service seals (libs/domain's table): only ApiKeyCreated's here. */
const SEALED_FIELDS = { ApiKeyCreated: ['hash'] } as const;

export interface LogKeys {
  signer: NoteSigner;
  /** The C2SP verifier key string, as `--key` takes it. */
  key: string;
}

export function logKeys(name = LOG_NAME): LogKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: noteSigner(name, privateKey), key: verifierKey(noteVerifier(name, publicKey)) };
}

function uuid(seed: number, salt: number): string {
  const hex = ((seed * 2654435761 + salt * 40503) >>> 0).toString(16).padStart(8, '0');
  return `${hex}-${(seed % 0xffff).toString(16).padStart(4, '0')}-4${(salt % 0xfff).toString(16).padStart(3, '0')}-8abc-${String(seed).padStart(12, '0')}`;
}

/** The i-th of the tenant's events as the log records it: the kinds an audit sees, with the whole envelope. */
function loggedEvent(i: number, position: number, tenantId: string): LoggedEvent {
  const agent = uuid(i % 37, 1);
  const kinds: Array<Pick<LoggedEvent, 'type' | 'category' | 'streamId' | 'data'>> = [
    {
      type: 'AgentCreated',
      category: 'agent',
      streamId: agent,
      data: { name: `triage-${i}`, model: 'gpt-4o', tools: ['search', 'ledger'], labels: { team: 'support' } },
    },
    {
      type: 'ToolCalled',
      category: 'run',
      streamId: uuid(i, 2),
      data: {
        tool: 'ledger',
        input: { invoice: 4400 + i, note: 'Rückerstattung — doppelte Belastung' },
        risk: 'write',
      },
    },
    {
      type: 'TaskSubmitted',
      category: 'task',
      streamId: uuid(i, 3),
      data: {
        prompt: `Refund the duplicate charge on invoice ${4400 + i}`,
        capabilities: ['billing'],
        priority: i % 5,
      },
    },
    {
      type: 'ApiKeyCreated',
      category: 'principal',
      streamId: uuid(i % 11, 4),
      data: { keyId: uuid(i, 5), hash: `argon2id$v=19$m=65536,t=3,p=4$${i}`, expiresAt: '2027-01-05T00:00:00.000Z' },
    },
    {
      type: 'AgentPaused',
      category: 'agent',
      streamId: agent,
      data: { reason: 'maintenance window', budget: { micros: 1_500_000 + i } },
    },
  ];
  const kind = kinds[i % kinds.length];
  const ms = Date.UTC(2026, 11, 5, 21, 0, 0) + i * 1_337;
  return {
    id: uuid(i, 6),
    ...kind,
    stream: `${kind.category}-${kind.streamId}`,
    revision: Math.floor(i / kinds.length),
    position,
    time: new Date(ms).toISOString(),
    metadata: {
      tenantId,
      actor: i % 3 === 0 ? { kind: 'agent', id: agent } : { kind: 'user', id: uuid(i % 7, 7) },
      correlationId: uuid(Math.floor(i / 4), 8),
      causationId: uuid(i - 1, 9),
      requestId: `req-${uuid(Math.floor(i / 4), 10)}`,
      ...(i % 2 === 0 && { traceparent: `00-${uuid(i, 11).replace(/-/g, '')}-b7ad6b7169203331-01` }),
      schemaVersion: 1,
    },
  };
}

/**
 * `count` sealed events of the tenant from `first` on; positions increase with
 * gaps, as other tenants' events interleave in the global log.
 */
export function sealedEvents(count: number, first = 0, tenantId = TENANT, salt = 0): SealedEvent[] {
  const events: SealedEvent[] = [];
  for (let i = first; i < first + count; i += 1) {
    const event = loggedEvent(i + salt, 1_000 + i * 3 + (i % 2), tenantId);
    events.push(sealedEvent(event, SEALED_FIELDS));
  }
  return events;
}

export interface WrittenBundle {
  /** The file's text as the writer helpers give it. */
  text: string;
  /** Its lines without "\n" (no trailing empty line): header, events, trailer. */
  lines: string[];
  tree: MerkleTree;
  note: string;
}

/**
 * A bundle of `events` (leaf i = events[i]) signed by `signer`; `include`
 * picks the leaves the file holds (all: a complete bundle).
 */
export function writeBundle(
  events: readonly SealedEvent[],
  keys: LogKeys,
  options: { include?: (index: number) => boolean; origin?: string; tenantId?: string } = {},
): WrittenBundle {
  const tree = new MerkleTree();
  for (const event of events) tree.append(leafHash(sealedLeafInput(event)));
  const origin = options.origin ?? ORIGIN;
  const rootHash = tree.root();
  const note = signCheckpoint({ origin, size: tree.size, rootHash, time: '2026-12-06T00:00:00.000Z' }, keys.signer);
  const include = options.include ?? (() => true);
  const complete = options.include === undefined;
  let text = bundleHeaderLine({
    origin,
    tenantId: options.tenantId ?? TENANT,
    checkpoint: note,
    treeSize: tree.size,
    rootHash: rootHash.toString('base64'),
    verifierKey: keys.key,
    complete,
    filter: complete ? {} : { eventTypes: ['ToolCalled'] },
  });
  let count = 0;
  let firstPosition = 0;
  let lastPosition = 0;
  events.forEach((event, index) => {
    if (!include(index)) return;
    text += bundleEventLine(index, event, tree.inclusionProof(index));
    if (count === 0) firstPosition = event.position;
    lastPosition = event.position;
    count += 1;
  });
  text += bundleTrailerLine({ eventCount: count, firstPosition, lastPosition });
  return { text, lines: text.slice(0, -1).split('\n'), tree, note };
}
