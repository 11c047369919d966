import type { Timestamp } from '@aos/contracts';

/**
 * Cell formatting shared by the views. Kept free of runtime imports from
 * @aos/contracts, whose generated code loads NestJS: `aos --help` stays fast.
 */
export function formatTimestamp(ts: Timestamp | null | undefined): string {
  if (!ts) return '';
  const ms = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1_000_000);
  return new Date(ms).toISOString();
}

export function formatList(values: readonly string[] | null | undefined): string {
  return values?.join(', ') ?? '';
}

export function formatLabels(labels: Record<string, string> | null | undefined): string {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}
