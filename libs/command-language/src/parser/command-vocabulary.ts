import { editDistance } from '../edit-distance';

/** The words that start a command of the grammar (docs/commands.md), each with what it usually means. */
export const VERBS: Readonly<Record<string, string>> = {
  create: 'create',
  make: 'make',
  add: 'add',
  build: 'create',
  new: 'create',
  setup: 'create',
  spin: 'create',
  register: 'create',
  update: 'update',
  change: 'update',
  edit: 'update',
  modify: 'update',
  rename: 'rename',
  label: 'label',
  tag: 'label',
  relabel: 'label',
  switch: 'update',
  set: 'set',
  deploy: 'deploy',
  launch: 'deploy',
  activate: 'deploy',
  publish: 'deploy',
  pause: 'pause',
  stop: 'pause',
  suspend: 'pause',
  halt: 'pause',
  freeze: 'pause',
  resume: 'resume',
  unpause: 'resume',
  unfreeze: 'resume',
  reactivate: 'resume',
  restart: 'resume',
  continue: 'resume',
  unsuspend: 'resume',
  retire: 'retire',
  delete: 'retire',
  remove: 'remove',
  decommission: 'retire',
  kill: 'retire',
  destroy: 'retire',
  archive: 'retire',
  terminate: 'retire',
  shut: 'pause',
  give: 'give',
  grant: 'give',
  let: 'let',
  allow: 'let',
  attach: 'give',
  connect: 'give',
  revoke: 'revoke',
  take: 'take',
  withdraw: 'revoke',
  detach: 'revoke',
  disconnect: 'revoke',
  ask: 'ask',
  tell: 'ask',
  have: 'ask',
  submit: 'submit',
  queue: 'submit',
  cancel: 'cancel',
  abort: 'cancel',
  limit: 'limit',
  cap: 'limit',
  restrict: 'limit',
  budget: 'limit',
  assign: 'assign',
  promote: 'assign',
  roll: 'rollback',
  rollback: 'rollback',
  revert: 'rollback',
  restore: 'rollback',
  approve: 'approve',
  accept: 'approve',
  reject: 'reject',
  deny: 'reject',
  decline: 'reject',
  list: 'read',
  show: 'read',
  display: 'read',
  describe: 'read',
  get: 'read',
  find: 'read',
  view: 'read',
  see: 'read',
  check: 'read',
  which: 'read',
  what: 'read',
  whats: 'read',
  who: 'read',
  whoami: 'read',
  how: 'read',
  is: 'read',
  are: 'read',
  any: 'read',
  do: 'read',
  does: 'read',
};

/** Words too short or too common to be corrected towards a verb. */
const NOT_CORRECTED = new Set([
  'this',
  'that',
  'then',
  'them',
  'they',
  'with',
  'from',
  'into',
  'also',
  'each',
  'every',
  // A noun of the grammar ("role admin"), not "roll" misspelt.
  'role',
]);

export interface VerbReading {
  verb: string;
  /** Set when the word was a typo of the verb ("pasue" → "pause"). */
  correctedFrom?: string;
}

/**
 * The verb a word is, allowing one typo (two for words of 7 letters or more)
 * when exactly one verb is that close: "pasue" → pause, "deploi" → deploy.
 */
export function readVerb(word: string): VerbReading | undefined {
  if (Object.hasOwn(VERBS, word)) return { verb: word };
  // A plural is a noun ("tasks" is not "take", "refunds" not "refuse"): never corrected towards a verb.
  if (word.length < 4 || word.length > 16 || word.endsWith('s') || NOT_CORRECTED.has(word) || !/^[a-z]+$/.test(word)) {
    return undefined;
  }
  const allowed = word.length >= 7 ? 2 : 1;
  let best: string[] = [];
  let bestDistance = allowed;
  for (const verb of Object.keys(VERBS)) {
    // Lengths further apart than the edits allowed cannot be close: skip the costly comparison.
    if (verb.length < 4 || Math.abs(verb.length - word.length) > allowed) continue;
    const distance = editDistance(word, verb);
    // One edit past the allowance is no typo ("wipe" is two edits from "give", a different action).
    if (distance > allowed) continue;
    if (distance < bestDistance) {
      best = [verb];
      bestDistance = distance;
    } else if (distance === bestDistance) {
      best.push(verb);
    }
  }
  return best.length === 1 ? { verb: best[0], correctedFrom: word } : undefined;
}

export const STATE_WORDS: Readonly<Record<string, 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'RETIRED'>> = {
  draft: 'DRAFT',
  drafts: 'DRAFT',
  undeployed: 'DRAFT',
  active: 'ACTIVE',
  running: 'ACTIVE',
  live: 'ACTIVE',
  deployed: 'ACTIVE',
  paused: 'PAUSED',
  stopped: 'PAUSED',
  suspended: 'PAUSED',
  retired: 'RETIRED',
  deleted: 'RETIRED',
};

export const TASK_STATE_WORDS: Readonly<Record<string, string>> = {
  queued: 'QUEUED',
  waiting: 'QUEUED',
  assigned: 'ASSIGNED',
  running: 'RUNNING',
  failed: 'FAILED',
  succeeded: 'SUCCEEDED',
  completed: 'SUCCEEDED',
  done: 'SUCCEEDED',
  finished: 'SUCCEEDED',
  cancelled: 'CANCELLED',
  canceled: 'CANCELLED',
};

export const SINGULAR_PRONOUNS = ['it', 'this', 'that', 'him', 'her', 'its'];
export const PLURAL_PRONOUNS = ['them', 'they', 'these', 'those', 'both', 'their'];
/** Words that name the person typing: a plan never widens their own rights. */
export const SELF_WORDS = ['me', 'myself', 'i', 'my', 'mine', 'us', 'ourselves'];

/** "helps with", "deals with", "works on": verbs that introduce capabilities only with their preposition. */
export const LEADS_BEFORE_WITH = ['help', 'helps', 'helping', 'deal', 'deals', 'dealing', 'work', 'works', 'working'];

/**
 * Words that introduce what an agent handles: "that handles", "which can
 * handle", "who deals with", "to handle", "handling", "that does", "for".
 * The number of words the introduction takes at `at`, or 0 when none starts there.
 */
export function capabilityLeadLength(words: readonly string[], at = 0): number {
  let i = at;
  if (['that', 'which', 'who'].includes(words[i])) i += 1;
  if (['can', 'could', 'will', 'should', 'to'].includes(words[i])) i += 1;
  const w = words[i];
  if (['handle', 'handles', 'handling', 'do', 'does', 'doing', 'cover', 'covers', 'covering'].includes(w))
    return i + 1 - at;
  if (['manage', 'manages', 'managing', 'own', 'owns', 'specialises', 'specializes'].includes(w)) {
    return i + (words[i + 1] === 'in' ? 2 : 1) - at;
  }
  if (LEADS_BEFORE_WITH.includes(w)) {
    return words[i + 1] === 'with' || words[i + 1] === 'on' ? i + 2 - at : 0;
  }
  if (['take', 'takes', 'taking'].includes(w) && words[i + 1] === 'care' && words[i + 2] === 'of') return i + 3 - at;
  return 0;
}
