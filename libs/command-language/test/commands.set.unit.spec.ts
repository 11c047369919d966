import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/parser/parse-command';
import { resolveDraft } from '../src/resolver/resolve-draft';
import type { Resolution } from '../src/resolution';
import { COMMAND_SET, FIRST_SET, FOURTH_SET, SECOND_SET, THIRD_SET, type CommandCase } from './command-set';
import { fixtureDirectory, NOW } from './fixture-directory';

type Outcome = 'exact' | 'asked' | 'refused' | 'wrong';

interface Graded {
  case: CommandCase;
  resolution: Resolution;
  outcome: Outcome;
  /** The expectation was met. */
  hit: boolean;
}

function comparable(resolution: Resolution) {
  return resolution.steps.map((s) => ({ service: s.service, method: s.method, request: s.request, inputs: s.inputs }));
}

function grade(c: CommandCase): Graded {
  const resolution = resolveDraft(parseCommand(c.text), fixtureDirectory, { now: NOW });
  const hasSteps = resolution.steps.length > 0;
  const asked = !hasSteps && resolution.questions.length > 0;
  if ('plan' in c.expect) {
    const expected = c.expect.plan.map((s) => ({ ...s, inputs: s.inputs ?? [] }));
    const same = hasSteps && resolution.questions.length === 0 && isDeepEqual(comparable(resolution), expected);
    const outcome: Outcome = same ? 'exact' : hasSteps ? 'wrong' : asked ? 'asked' : 'refused';
    return { case: c, resolution, outcome, hit: same };
  }
  // A plan with steps where the person should have been asked, or refused, would run something unwanted.
  const outcome: Outcome = hasSteps ? 'wrong' : asked ? 'asked' : 'refused';
  const hit = 'asks' in c.expect ? outcome === 'asked' : outcome === 'refused' && resolution.notes.length > 0;
  return { case: c, resolution, outcome, hit };
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    expect(a).toEqual(b);
    return true;
  } catch {
    return false;
  }
}

function expectationOf(c: CommandCase): string {
  return 'plan' in c.expect ? 'plan' : 'asks' in c.expect ? 'asks' : 'refuses';
}

describe('the command set (parser + resolver over the fixture tenant)', () => {
  const graded = COMMAND_SET.map(grade);
  const total = graded.length;
  const hits = graded.filter((g) => g.hit).length;
  const wrong = graded.filter((g) => g.outcome === 'wrong');
  const noStep = graded.filter((g) => g.outcome === 'asked' || g.outcome === 'refused');
  const misses = graded.filter((g) => !g.hit);

  it('prints the figures', () => {
    const pct = (n: number) => `${((100 * n) / total).toFixed(1)}%`;
    const plans = graded.filter((g) => 'plan' in g.case.expect);
    console.log(
      [
        `command set: ${total} commands (${plans.length} with an exact plan expected, ${total - plans.length} expected to ask or refuse)`,
        `exact (expected outcome met): ${hits}/${total} = ${pct(hits)}`,
        `exact plans among plan cases: ${plans.filter((g) => g.hit).length}/${plans.length}`,
        `asked or refused instead of a plan: ${noStep.length}/${total} = ${pct(noStep.length)} (asked ${graded.filter((g) => g.outcome === 'asked').length}, refused ${graded.filter((g) => g.outcome === 'refused').length})`,
        `WRONG plans with steps: ${wrong.length}`,
        ...[
          ['first set (the examples the parser was built from)', FIRST_SET],
          ['second set (written before the parser ran on it)', SECOND_SET],
          ['third set (written after the acceptance sentence failed)', THIRD_SET],
          ['fourth set (versions and rollback, written before the parser knew them)', FOURTH_SET],
        ].map(([label, set]) => {
          const part = graded.filter((g) => (set as readonly CommandCase[]).includes(g.case));
          return `  ${label as string}: ${part.filter((g) => g.hit).length}/${part.length} met, ${part.filter((g) => g.outcome === 'wrong').length} wrong`;
        }),
        ...misses.map(
          (g) =>
            `  miss [expected ${expectationOf(g.case)}, got ${g.outcome}] ${JSON.stringify(g.case.text)}\n` +
            `    steps: ${JSON.stringify(comparable(g.resolution))}\n` +
            `    questions: ${JSON.stringify(g.resolution.questions.map((q) => q.text))} notes: ${JSON.stringify(g.resolution.notes)}`,
        ),
      ].join('\n'),
    );
    expect(total).toBeGreaterThanOrEqual(120);
  });

  it('meets the expected outcome for at least 90% of the commands', () => {
    expect(hits / total).toBeGreaterThanOrEqual(0.9);
  });

  it('never produces a wrong plan with steps', () => {
    expect(wrong.map((g) => g.case.text)).toEqual([]);
  });

  it('gives every step a preview and resolves to the same plan twice', () => {
    for (const g of graded) {
      for (const step of g.resolution.steps) expect(step.preview, g.case.text).not.toBe('');
      expect(resolveDraft(parseCommand(g.case.text), fixtureDirectory, { now: NOW }), g.case.text).toEqual(
        g.resolution,
      );
    }
  });
});
