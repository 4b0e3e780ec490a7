import type { z } from 'zod';
import { ValidationError } from './errors';

/**
 * A parser for `subject` (e.g. `command counter.increment`) built from a zod schema: it returns
 * the parsed value, or throws one {@link ValidationError} whose lines each name the field path
 * (`args.by: Invalid input: expected number, received string`). Build it once, not per call.
 */
export function parserFor<S extends z.ZodType>(
  schema: S,
  subject: string,
  root = 'args',
): (input: unknown) => z.output<S> {
  return (input) => {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    throw new ValidationError(
      subject,
      result.error.issues.map(
        (issue) => `${[root, ...issue.path.map(String)].join('.')}: ${issue.message}`,
      ),
    );
  };
}
