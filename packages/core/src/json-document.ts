import type { z } from 'zod';
import { describeIssues, type Problem } from './validation';

/**
 * A JSON document embedded in a file (a manifest), read strictly: UTF-8 (a BOM is refused, as it
 * is not JSON and would not survive a rewrite), JSON, then the schema. Each failure is one
 * sentence starting with `where` (e.g. "the manifest of a.snap (at byte 20)"), thrown through
 * `fail` so that each format throws its own error class. `describe` words the schema's problems.
 */
export function parseJsonDocument<S extends z.ZodType>(
  bytes: Uint8Array,
  where: string,
  schema: S,
  fail: (message: string) => Error,
  describe: (problems: readonly z.core.$ZodIssue[]) => string = (problems) =>
    describeIssues(problems as readonly Problem[]),
): z.output<S> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw fail(`${where} is not UTF-8 text`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`${where} is not JSON: ${(error as Error).message}`);
  }
  let checked: z.ZodSafeParseResult<z.output<S>>;
  try {
    checked = schema.safeParse(json);
  } catch (error) {
    // JSON nested deeper than the checks can recurse: refused as the file's fault, as any other.
    throw fail(`${where} cannot be checked: ${(error as Error).message}`);
  }
  if (!checked.success)
    throw fail(`${where} is not a valid manifest: ${describe(checked.error.issues)}`);
  return checked.data;
}
