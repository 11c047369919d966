// Budgets count cost in millionths of the currency unit (Budget.cost_limit_micros); people read and type units.
const MICROS_PER_UNIT = 1_000_000;

/** The amount in currency units, e.g. 2_500_000n → 2.5: the one place micros become units. */
export function unitsOf(micros: bigint): number {
  return Number(micros) / MICROS_PER_UNIT;
}

export function unitsFromMicros(micros: bigint): string {
  return unitsOf(micros).toLocaleString(undefined, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 6,
  });
}

export function microsFromUnits(units: number): bigint {
  return BigInt(Math.round(units * MICROS_PER_UNIT));
}
