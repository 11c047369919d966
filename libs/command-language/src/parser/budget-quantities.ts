import { isWord, type Token } from './command-tokens';

export type Period = 'DAY' | 'WEEK' | 'MONTH';

export interface Quantities {
  costLimitMicros?: number;
  tokenLimit?: number;
  period?: Period;
  /** Indexes of the tokens the amounts and the period were read from. */
  used: Set<number>;
}

const SCALE: Record<string, number> = {
  k: 1_000,
  thousand: 1_000,
  m: 1_000_000,
  mm: 1_000_000,
  million: 1_000_000,
  b: 1_000_000_000,
  bn: 1_000_000_000,
  billion: 1_000_000_000,
};

const PERIOD_WORDS: Record<string, Period> = {
  day: 'DAY',
  days: 'DAY',
  daily: 'DAY',
  week: 'WEEK',
  weeks: 'WEEK',
  weekly: 'WEEK',
  month: 'MONTH',
  months: 'MONTH',
  monthly: 'MONTH',
  '/day': 'DAY',
  '/week': 'WEEK',
  '/month': 'MONTH',
  '/mo': 'MONTH',
  '/d': 'DAY',
};
const PERIOD_LEADS = ['a', 'an', 'per', 'each', 'every', 'one'];
const MONEY_WORDS = ['dollars', 'dollar', 'usd', 'bucks'];
const TOKEN_WORDS = ['tokens', 'token', 'tok'];

/** "5", "2.50", "1,000,000", "10k", "1.5M" → the number, or undefined. */
export function parseNumber(text: string): number | undefined {
  const match = /^(\d+(?:,\d{3})*(?:\.\d+)?)(k|m|mm|b|bn)?$/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1].replace(/,/g, ''));
  return value * (match[2] ? SCALE[match[2].toLowerCase()] : 1);
}

/**
 * Reads the money amount, token count and period of a budget sentence:
 * "$5 a day", "5 dollars per day", "1M tokens per month", "10k tokens daily",
 * "1 million tokens a month". Money becomes micros exactly ($2.50 → 2500000).
 */
export function readQuantities(tokens: readonly Token[]): Quantities {
  const q: Quantities = { used: new Set() };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== 'word') continue;
    const period = PERIOD_WORDS[t.lower];
    if (period) {
      q.period = period;
      q.used.add(i);
      if (i > 0 && isWord(tokens[i - 1], ...PERIOD_LEADS)) q.used.add(i - 1);
      continue;
    }
    // "$5/day" is one word.
    const slash = /^(.*?)(\/(?:day|week|month|mo|d))$/.exec(t.lower);
    const body = slash ? slash[1] : t.lower;
    if (slash) q.period = PERIOD_WORDS[slash[2]];
    const dollars = /^\$(.+)$/.exec(body) ?? /^(.+)\$$/.exec(body);
    if (dollars) {
      const value = parseNumber(dollars[1]);
      if (value !== undefined) {
        q.costLimitMicros = Math.round(value * 1_000_000);
        q.used.add(i);
      }
      continue;
    }
    const value = parseNumber(body);
    if (value === undefined) continue;
    let j = i + 1;
    let amount = value;
    if (isWord(tokens[j], 'thousand', 'million', 'billion')) {
      amount *= SCALE[tokens[j].lower];
      j += 1;
    }
    if (isWord(tokens[j], ...MONEY_WORDS)) {
      q.costLimitMicros = Math.round(amount * 1_000_000);
    } else if (isWord(tokens[j], ...TOKEN_WORDS)) {
      q.tokenLimit = Math.round(amount);
    } else if (isWord(tokens[i - 1], 'usd')) {
      q.costLimitMicros = Math.round(amount * 1_000_000);
      q.used.add(i - 1);
      j -= 1;
    } else {
      continue;
    }
    for (let k = i; k <= j && k < tokens.length; k++) q.used.add(k);
  }
  return q;
}

/** "today" / "this week" / "this month" in a question about spend. */
export function spendPeriod(tokens: readonly Token[]): Period {
  const words = tokens.map((t) => t.lower);
  if (words.includes('today') || words.includes('daily') || words.includes('day')) return 'DAY';
  if (words.includes('week') || words.includes('weekly')) return 'WEEK';
  return 'MONTH';
}
