import type { z } from 'zod';

/** The events of one family (one owner's streams) as a union tagged by `type`: the data without the envelope. */
export type EventOf<S extends Record<string, z.ZodType>> = {
  [K in keyof S & string]: { type: K; data: z.infer<S[K]> };
}[keyof S & string];

export interface EventFamily<S extends Record<string, z.ZodType>> {
  readonly types: readonly (keyof S & string)[];
  is(type: string): type is keyof S & string;
  /**
   * Validates an event read from the log: undefined for a type this version
   * does not know (written by a newer one); throws a ZodError on bad data.
   */
  parse(type: string, data: unknown): EventOf<S> | undefined;
}

/** The type list, the type guard and the parser of a family, from its schemas. */
export function eventFamily<S extends Record<string, z.ZodType>>(schemas: S): EventFamily<S> {
  const is = (type: string): type is keyof S & string => Object.hasOwn(schemas, type);
  return {
    types: Object.keys(schemas) as (keyof S & string)[],
    is,
    parse: (type, data) => (is(type) ? ({ type, data: schemas[type]!.parse(data) } as EventOf<S>) : undefined),
  };
}
