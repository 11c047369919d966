import { describe, expect, it } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { LogCheckpointSchema, VerifyLogResponseSchema, VerifyProblem } from '../../gen/aos/v1/audit_pb';
import { sealText, verifyVerdict, whenText } from './integrity-words';
import { auditAtLink, auditAtPosition } from './audit-at';

describe('the integrity panel in words', () => {
  it('says when nothing is sealed, and how much is', () => {
    expect(sealText(null)).toBe('No seal yet');
    const time = timestampFromDate(new Date());
    const text = sealText(create(LogCheckpointSchema, { treeSize: 10104n, time }));
    expect(text).toBe(`Last sealed: 10,104 events, ${whenText(time)}`);
    expect(text).toMatch(/, at \d/);
    // Another day: the date too.
    expect(whenText(time, new Date(Date.now() + 2 * 86_400_000))).toMatch(/^on .+ at \d/);
  });

  it('an intact trail: counts, seals, and the newer events not sealed yet', () => {
    const ok = verifyVerdict(
      create(VerifyLogResponseSchema, {
        ok: true,
        eventsChecked: 10104n,
        checkpointsChecked: 3n,
        unverifiedEvents: 1n,
      }),
    );
    expect(ok).toEqual({
      ok: true,
      title: 'The audit trail is intact',
      detail:
        '10,104 events checked against 3 signed seals; 1 newer event not sealed yet (the next seal will cover it).',
    });
    const unsealed = verifyVerdict(
      create(VerifyLogResponseSchema, { ok: true, eventsChecked: 1n, unverifiedEvents: 1n }),
    );
    expect(unsealed.detail).toContain('0 signed seals');
    expect(unsealed.detail).toContain('nothing could be proven unchanged');
  });

  it('an altered trail: the first bad event, what happened and why, and where to look', () => {
    const bad = verifyVerdict(
      create(VerifyLogResponseSchema, {
        ok: false,
        firstBadPosition: 5002n,
        problem: VerifyProblem.EVENT_CHANGED,
        reason: 'leaf 17 differs from the signed leaf',
      }),
    );
    expect(bad).toEqual({
      ok: false,
      title: 'The audit trail was altered',
      detail:
        'first problem at event #5,002: an event was changed, removed or inserted — leaf 17 differs from the signed leaf.',
      badPosition: 5002n,
    });
    expect(auditAtLink(bad.badPosition!)).toBe('/audit?at=5002');
    const forged = verifyVerdict(create(VerifyLogResponseSchema, { ok: false, problem: VerifyProblem.BAD_SIGNATURE }));
    expect(forged.detail).toBe('a seal is not signed with this log’s key.');
    expect(forged.badPosition).toBeUndefined();
  });

  it('reads ?at= only as a positive whole number', () => {
    expect(auditAtPosition(new URLSearchParams('at=5002'))).toBe(5002n);
    for (const at of ['', '0', '-3', '1.5', 'x', '12345678901234567890123']) {
      expect(auditAtPosition(new URLSearchParams({ at }))).toBeUndefined();
    }
  });
});
