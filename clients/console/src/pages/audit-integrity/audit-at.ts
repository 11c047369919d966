/**
 * The timeline from one event on (`/audit?at=<position>`): where the integrity check sends a person to see
 * the first event it found altered. ListEvents' after_position is exclusive, so the list starts after at - 1.
 */
export function auditAtLink(position: bigint): string {
  return `/audit?at=${position}`;
}

/** The position `?at=` names, or undefined when it is absent or not a positive whole number. */
export function auditAtPosition(params: URLSearchParams): bigint | undefined {
  const at = params.get('at') ?? '';
  return /^[1-9][0-9]{0,18}$/.test(at) ? BigInt(at) : undefined;
}
