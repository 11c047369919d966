/** The compiler's proof that a switch handled every case; reaching it at run time is a bug. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
