import type { z } from 'zod';
import { ValidationError } from './errors';

/**
 * Parses `input` with a zod schema, turning its issues into one {@link ValidationError} whose
 * lines each name the field path (`args.by: Invalid input: expected number, received string`).
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, subject: string, root = 'args'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    subject,
    result.error.issues.map((issue) => `${[root, ...issue.path.map(String)].join('.')}: ${issue.message}`),
  );
}
