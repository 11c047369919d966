import { AlreadyExistsError } from '@aos/errors';

/**
 * Names unique per tenant: the kinds, how they compare, and who may hold one.
 *
 * A name is held in a compare-and-set register (one per tenant, kind and
 * folded name; JetStream KV, see @aos/command-pipeline), so of two writers
 * claiming one name only one wins, whichever process each runs in. The
 * register only arbitrates: whether a name is taken is the log's (the
 * holder's own stream carries it), and a holding is binding while its holder
 * carries the name, or while it is young (the holder's creation or rename
 * may still be on its way). One that is neither is stale — a creation that
 * crashed after reserving, or a rename whose release was never written — and
 * the next claimant takes it over. The writer appends the holder's event
 * within a quarter of the grace time after reserving (the pipeline refuses to
 * go on later), and takes over only after the whole grace time, so a stale
 * holding is never one whose holder is still about to be written.
 */
export const NameKinds = {
  agent: { noun: 'agent', field: 'agent.name' },
  tool: { noun: 'tool', field: 'tool.name' },
  principal: { noun: 'principal', field: 'principal.name' },
  oidcSubject: { noun: 'principal', field: 'principal.oidc_subject' },
  knowledgeBase: { noun: 'knowledge base', field: 'knowledge_base.name' },
} as const;
export type NameKind = keyof typeof NameKinds;

/** How agent and principal names are compared: unique per tenant regardless of case ("Alice" and "alice" are one name). */
export function foldName(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

/** What a name's register holds: the holder, or '' once released. */
export interface NameHolding {
  name: string;
  holderId: string;
}

export type NameState =
  | { status: 'FREE' }
  | {
      status: 'HELD';
      name: string;
      holderId: string;
      /** When the holding (or its last renewal) was written: the register's time. */
      since: string;
    };
export const initialNameState: NameState = { status: 'FREE' };

export type ReserveName = {
  type: 'ReserveName';
  kind: NameKind;
  name: string;
  holderId: string;
  /** The claimant's clock (ISO 8601). */
  now: string;
  /** Whether the current holder's own stream still carries the name, as its owner's model has it. */
  holderCarriesName: boolean;
  graceMs: number;
};
export type ReleaseName = { type: 'ReleaseName'; name: string; holderId: string };
export type NameCommand = ReserveName | ReleaseName;

/**
 * The holding to write, or undefined when nothing changes; throws
 * AlreadyExistsError when another's binding holding keeps the name.
 */
export function nextNameHolding(command: NameCommand, state: NameState): NameHolding | undefined {
  if (command.type === 'ReleaseName') {
    if (state.status !== 'HELD' || state.holderId !== command.holderId) return undefined;
    return { name: command.name, holderId: '' };
  }
  const claim = { name: command.name, holderId: command.holderId };
  if (state.status === 'FREE') return claim;
  const age = Date.parse(command.now) - Date.parse(state.since);
  // Ours already: renewed once it is old enough that the holder's event might not follow in time.
  if (state.holderId === command.holderId) return age > command.graceMs / 4 ? claim : undefined;
  if (command.holderCarriesName || !(age >= command.graceMs)) {
    const kind = NameKinds[command.kind];
    throw new AlreadyExistsError(kind.noun, kind.field, command.name);
  }
  return claim;
}

/** The state a written holding makes; `since` is the register's time of the write. */
export function nameStateOf(holding: NameHolding | undefined, since: string): NameState {
  if (!holding || holding.holderId === '') return initialNameState;
  return { status: 'HELD', name: holding.name, holderId: holding.holderId, since };
}
