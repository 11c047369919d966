import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { VerifyProblem, type LogCheckpoint, type VerifyLogResponse } from '../../gen/aos/v1/audit_pb';

/** A count as people read it: 10,104. */
export function countText(n: bigint | number): string {
  return Number(n).toLocaleString('en-US');
}

/** "1 event", "10,104 events". */
export function plural(n: bigint | number, one: string, many = `${one}s`): string {
  return `${countText(n)} ${Number(n) === 1 ? one : many}`;
}

/** "at 14:02" today, "on 5 Dec 2026 at 14:02" another day. */
export function whenText(ts: Timestamp | undefined, now: Date = new Date()): string {
  if (!ts) return '';
  const date = timestampDate(ts);
  const clock = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === now.toDateString()) return `at ${clock}`;
  const day = date.toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' });
  return `on ${day} at ${clock}`;
}

/** The newest seal in a sentence: "Last sealed: 10,104 events, at 14:02", or "No seal yet". */
export function sealText(checkpoint: LogCheckpoint | null): string {
  if (!checkpoint) return 'No seal yet';
  return `Last sealed: ${plural(checkpoint.treeSize, 'event')}, ${whenText(checkpoint.time)}`;
}

/** What a failed check found, in words; the reason the server gave follows it. */
const PROBLEM_WORDS: Record<VerifyProblem, string> = {
  [VerifyProblem.VERIFY_PROBLEM_UNSPECIFIED]: 'a check did not hold',
  [VerifyProblem.EVENT_CHANGED]: 'an event was changed, removed or inserted',
  [VerifyProblem.BAD_SIGNATURE]: 'a seal is not signed with this log’s key',
  [VerifyProblem.CHECKPOINT_AHEAD]: 'a seal counts more events than the trail holds',
  [VerifyProblem.ROOT_MISMATCH]: 'a seal does not match the events it covers',
  [VerifyProblem.TRUSTED_CHECKPOINT_MISSING]: 'the seal you trusted is not in this trail',
  [VerifyProblem.EVENTS_MISSING]: 'events were removed from the end',
};

export interface VerifyVerdict {
  ok: boolean;
  /** The headline: intact or altered. */
  title: string;
  /** The sentence under it. */
  detail: string;
  /** The position of the first bad event, when the check named one. */
  badPosition?: bigint;
}

export function verifyVerdict(r: VerifyLogResponse): VerifyVerdict {
  if (r.ok) {
    const checked = `${plural(r.eventsChecked, 'event')} checked against ${plural(r.checkpointsChecked, 'signed seal')}`;
    const unsealed =
      r.unverifiedEvents > 0n
        ? `; ${plural(r.unverifiedEvents, 'newer event')} not sealed yet (the next seal will cover ${Number(r.unverifiedEvents) === 1 ? 'it' : 'them'})`
        : '';
    const none = r.checkpointsChecked === 0n ? ' No event is sealed yet, so nothing could be proven unchanged.' : '';
    return { ok: true, title: 'The audit trail is intact', detail: `${checked}${unsealed}.${none}` };
  }
  const at = r.firstBadPosition > 0n ? `first problem at event #${countText(r.firstBadPosition)}: ` : '';
  const what = PROBLEM_WORDS[r.problem] ?? PROBLEM_WORDS[VerifyProblem.VERIFY_PROBLEM_UNSPECIFIED];
  return {
    ok: false,
    title: 'The audit trail was altered',
    detail: `${at}${what}${r.reason ? ` — ${r.reason}` : ''}.`,
    badPosition: r.firstBadPosition > 0n ? r.firstBadPosition : undefined,
  };
}

/** Hex, as the CLI prints a root. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Saves `parts` as a file the browser downloads: an object URL clicked through a link, then let go. */
export function saveFile(parts: BlobPart[], name: string, type: string) {
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // After the click has handed the blob to the download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
