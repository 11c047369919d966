import { v5 as uuidv5 } from 'uuid';
import { NameKinds, nameStateOf, nextNameHolding, type NameCommand, type NameKind, type NameState } from '@aos/domain';
import { AlreadyExistsError, AosError } from '@aos/errors';
import type { NameLedger } from './kv-registers';

/** Fixed forever: a name's register key derives from it, so changing it would free every name. */
export const NAME_KEY_NAMESPACE = '0b6c3f62-2a57-4c38-9a83-5f2f0de7c1a4';

/**
 * How long a holding binds without its holder carrying the name, so that a
 * creation or rename still on its way is not taken over (see
 * nextNameHolding). A writer appends the holder's event within a quarter of
 * it after reserving, or gives up with UNAVAILABLE.
 */
export const NAME_GRACE_MS = 30_000;

/** What the owner of the named aggregates tells the pipeline about a kind of name. */
export interface NameHolders {
  /** The name as compared: case-folded for agents and principals, as written for tools. */
  fold(name: string): string;
  /** The aggregate that carries the folded name in the owner's model now, if any. */
  holderOf(tenantId: string, folded: string): string | undefined;
}

/** A name the decided events take (reserved before they are appended) or give up (released after). */
export interface NameChange {
  kind: NameKind;
  name: string;
  /** The aggregate that takes or gives up the name. */
  holderId: string;
  action: 'reserve' | 'release';
}

export interface NameReservationsOptions {
  ledger: NameLedger | undefined;
  holders: Partial<Record<NameKind, NameHolders>>;
  /** Waits until the owner's model has applied everything in the log now. */
  catchUp: () => Promise<void>;
  now: () => number;
  graceMs?: number;
}

/**
 * Name uniqueness per tenant across any number of instances: the owner's
 * model refuses a name it sees carried (the usual way a taken name is
 * refused); a claim is then a compare-and-set write of the name's register,
 * so of two concurrent claims in different processes one wins.
 */
export class NameReservations {
  private readonly graceMs: number;

  constructor(private readonly options: NameReservationsOptions) {
    this.graceMs = options.graceMs ?? NAME_GRACE_MS;
  }

  get grace(): number {
    return this.graceMs;
  }

  /** Resolves once `holderId` holds the name; ALREADY_EXISTS when another's binding holding keeps it. */
  async reserve(tenantId: string, change: NameChange): Promise<void> {
    const holders = this.holdersOf(change.kind);
    const folded = holders.fold(change.name);
    const carrier = holders.holderOf(tenantId, folded);
    if (carrier !== undefined && carrier !== change.holderId) {
      const kind = NameKinds[change.kind];
      throw new AlreadyExistsError(kind.noun, kind.field, change.name);
    }
    const ledger = this.ledger();
    const key = this.keyOf(tenantId, change.kind, folded);
    // A name never held before (the usual case) is taken with one write; the register is read only when it exists.
    if (await ledger.write(key, { name: change.name, holderId: change.holderId }, 0)) return;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const record = await ledger.read(key);
      const state = nameStateOf(record?.value, record?.since ?? '');
      // Whether another's old holding still binds is the owner's model's to say: it catches up first.
      // A young one binds anyway, so a lagging model never delays that answer.
      if (state.status === 'HELD' && state.holderId !== change.holderId && this.age(state) >= this.graceMs) {
        await this.options.catchUp();
      }
      const holding = nextNameHolding(
        {
          type: 'ReserveName',
          kind: change.kind,
          name: change.name,
          holderId: change.holderId,
          now: new Date(this.options.now()).toISOString(),
          holderCarriesName: state.status === 'HELD' && holders.holderOf(tenantId, folded) === state.holderId,
          graceMs: this.graceMs,
        },
        state,
      );
      if (!holding || (await ledger.write(key, holding, record?.revision ?? 0))) return;
    }
    throw new AosError(
      'ABORTED',
      `the ${NameKinds[change.kind].field} ${JSON.stringify(change.name)} is contested; retry`,
    );
  }

  /** Gives the name up when `holderId` holds it (a rename, or a creation that did not happen); nothing otherwise. */
  async release(tenantId: string, change: NameChange): Promise<void> {
    const ledger = this.ledger();
    const key = this.keyOf(tenantId, change.kind, this.holdersOf(change.kind).fold(change.name));
    const record = await ledger.read(key);
    const command: NameCommand = { type: 'ReleaseName', name: change.name, holderId: change.holderId };
    const holding = nextNameHolding(command, nameStateOf(record?.value, record?.since ?? ''));
    // Refused: taken over meanwhile, it is someone else's to hold now.
    if (holding && record) await ledger.write(key, holding, record.revision);
  }

  private age(state: Extract<NameState, { status: 'HELD' }>): number {
    return this.options.now() - Date.parse(state.since);
  }

  /** `<tenant>.<kind>.<uuid of the folded name>`: KV keys are tokens of [-/_=.a-zA-Z0-9]. */
  private keyOf(tenantId: string, kind: NameKind, folded: string): string {
    return `${tenantId}.${kind}.${uuidv5(`${kind}/${folded}`, NAME_KEY_NAMESPACE)}`;
  }

  private ledger(): NameLedger {
    if (!this.options.ledger) throw new AosError('INTERNAL', 'this writer has no name ledger');
    return this.options.ledger;
  }

  private holdersOf(kind: NameKind): NameHolders {
    const holders = this.options.holders[kind];
    if (!holders) throw new AosError('INTERNAL', `this writer does not hold names of kind ${kind}`);
    return holders;
  }
}
