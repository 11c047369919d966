/** The `default` of an exhaustive switch: the compiler reports the case a new union member left unhandled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
