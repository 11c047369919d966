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

/** An enum name without its type prefix: `API_KEY_ACTIVE` → `ACTIVE`. */
export function formatEnum(value: string | null | undefined, prefix = ''): string {
  if (!value) return '';
  return prefix && value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

/** Millionths of a currency unit as units, at least 2 decimals: 12_500_000 → `12.50`. */
export function formatMicros(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / 1_000_000);
  const fraction = String(abs % 1_000_000)
    .padStart(6, '0')
    .replace(/0{1,4}$/, '');
  return `${sign}${whole}.${fraction}`;
}

export function formatYesNo(value: boolean | null | undefined): string {
  return value ? 'yes' : 'no';
}

/** A size in bytes as people read it: `900 B`, `12.5 KiB`, `1.2 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
