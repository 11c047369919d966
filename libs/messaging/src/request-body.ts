import type { z } from 'zod';
import { InvalidArgumentError } from '@aos/errors';

/**
 * Checks a body on receipt against the schema its subject declares: the
 * parsed body, or INVALID_ARGUMENT naming the first field that does not
 * match ("body" when it is not even an object).
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  throw new InvalidArgumentError(field, issue.message.replace(/^Invalid input: /, ''));
}
