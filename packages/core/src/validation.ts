import type { z } from 'zod';
import { compileCheck, UNDECIDED } from './compiled-check';
import { ValidationError } from './errors';

/**
 * A parser for `subject` (e.g. `command counter.increment`) built from a zod schema: it returns
 * the parsed value, or throws one {@link ValidationError} whose lines each name the field path and
 * the value found there (`args.by = "two": Invalid input: expected number, received string`).
 * Build it once, not per call: it compiles the schema's checks (see `compileCheck`), which take
 * what they can vouch for and leave zod the rest, errors included.
 */
export function parserFor<S extends z.ZodType>(
  schema: S,
  subject: string,
  root = 'args',
): (input: unknown) => z.output<S> {
  const compiled = compileCheck(schema);
  return (input) => {
    if (compiled !== undefined) {
      const parsed = compiled(input);
      if (parsed !== UNDECIDED) return parsed as z.output<S>;
    }
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    throw new ValidationError(
      subject,
      result.error.issues.map((issue) => {
        const field = [root, ...issue.path.map(String)].join('.');
        const found = valueAt(input, issue.path);
        return found === undefined
          ? `${field}: ${issue.message}`
          : `${field} = ${found}: ${issue.message}`;
      }),
    );
  };
}

/** The value at `path`, shown briefly, or undefined where there is none to show. */
function valueAt(input: unknown, path: readonly PropertyKey[]): string | undefined {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  if (value === undefined || (typeof value === 'object' && value !== null && path.length === 0))
    return undefined;
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length})`;
  let shown: string;
  try {
    shown = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? typeof value);
  } catch {
    shown = typeof value; // a cycle, or a getter that throws
  }
  return shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
}

/** A problem found in data: where (a path of keys), and what. Zod's issues are such problems. */
export interface Problem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `memory[2].pages`, `extensions["vm tools"]`: a path as code writes it. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) return `[${JSON.stringify(name)}]`;
      return i === 0 ? name : `.${name}`;
    })
    .join('');
}

/**
 * The problems of a failed check as one sentence's tail: the first three, each with its field
 * path (under `below`), then how many more. What file formats say after "is not a valid manifest:".
 */
export function describeIssues<P extends Problem>(
  problems: readonly P[],
  options: { below?: readonly PropertyKey[]; message?: (problem: P) => string } = {},
): string {
  const SHOWN = 3;
  const { below = [], message = (problem: P) => problem.message } = options;
  const described = problems.slice(0, SHOWN).map((problem) => {
    const path = [...below, ...problem.path];
    return path.length > 0 ? `${fieldPath(path)}: ${message(problem)}` : message(problem);
  });
  const more = problems.length - SHOWN;
  return (
    described.join('; ') +
    (more > 0 ? ` (and ${more} more ${more === 1 ? 'problem' : 'problems'})` : '')
  );
}
