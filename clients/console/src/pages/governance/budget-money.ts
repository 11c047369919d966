// Budgets count cost in millionths of the currency unit (Budget.cost_limit_micros); people read and type units.
const MICROS_PER_UNIT = 1_000_000;

export function unitsFromMicros(micros: bigint): string {
  return (Number(micros) / MICROS_PER_UNIT).toLocaleString(undefined, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 6,
  });
}

export function microsFromUnits(units: number): bigint {
  return BigInt(Math.round(units * MICROS_PER_UNIT));
}
