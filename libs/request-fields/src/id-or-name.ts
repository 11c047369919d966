import { InvalidArgumentError, NotFoundError } from '@aos/errors';
import { charLength, CONTROL_CHARS, validateId } from './index';

/** What a Get names: its target's id, or (for a caller who knows only that) its name. */
export type IdOrName = { id: string; name?: undefined } | { name: string; id?: undefined };

/** No kind of resource allows a longer name; a longer one names nothing, so it is a bad argument. */
const NAME_MAX = 255;

/**
 * The `id` and `name` of a Get request, exactly one of which must be set. The
 * name is returned trimmed but not folded: each service compares names the way
 * it reserves them.
 */
export function validateIdOrName(id: unknown, name: unknown): IdOrName {
  const hasId = id !== undefined && id !== null && id !== '';
  const hasName = name !== undefined && name !== null && name !== '';
  if (hasId && hasName) throw new InvalidArgumentError('name', 'must not be set together with id (give one of them)');
  if (!hasName) {
    if (!hasId) throw new InvalidArgumentError('id', 'is required (or name instead)');
    return { id: validateId('id', id) };
  }
  if (typeof name !== 'string') throw new InvalidArgumentError('name', 'must be a string');
  const trimmed = name.trim();
  if (trimmed === '' || charLength(trimmed) > NAME_MAX || CONTROL_CHARS.test(trimmed)) {
    throw new InvalidArgumentError('name', `must be 1-${NAME_MAX} characters without control characters`);
  }
  return { name: trimmed };
}

/**
 * The id `ref` stands for: its id, or the holder of its name by `idByName`
 * (the service's read model, which compares names its own way). Thrown
 * NotFoundError names `kind` and the name when nobody holds it.
 */
export function idOfIdOrName(ref: IdOrName, kind: string, idByName: (name: string) => string | undefined): string {
  if (ref.id !== undefined) return ref.id;
  const id = idByName(ref.name);
  if (id === undefined) throw new NotFoundError(kind, ref.name);
  return id;
}
