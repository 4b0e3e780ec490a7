import { ValidationError } from '@chronovisor/core';

/** What a field must be: an integer in a range (with what it is, for the error), or bytes. */
type Field =
  | {
      readonly kind: 'integer';
      readonly min: number;
      readonly max: number;
      readonly what: string;
      readonly optional?: boolean;
    }
  | { readonly kind: 'bytes' };

export const spaceField: Field = { kind: 'integer', min: 1, max: 2 ** 32, what: 'a space id' };
export const pointerField: Field = {
  kind: 'integer',
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
  what: 'a pointer',
};
/** The largest single request: 1 GiB, the default heap size. */
export const sizeField: Field = { kind: 'integer', min: 0, max: 2 ** 30, what: 'a byte count' };
export const lengthField: Field = { kind: 'integer', min: 1, max: 1 << 20, what: 'a byte count' };
export const alignField: Field = {
  kind: 'integer',
  min: 1,
  max: 2 ** 20,
  what: 'a power of two',
  optional: true,
};
export const bytesField: Field = { kind: 'bytes' };

/**
 * Checks a command's arguments by hand: allocation commands are the heap's hot path, and a
 * schema library costs more than the allocation. The quick test passes for good input; only a
 * failure pays for naming every bad field.
 */
export function checkArgs<A>(
  type: string,
  raw: unknown,
  fields: Readonly<Record<string, Field>>,
): A {
  if (typeof raw !== 'object' || raw === null)
    throw new ValidationError(`command ${type}`, ['args: expected an object']);
  const args = raw as Record<string, unknown>;
  const issues: string[] = [];
  for (const name in fields) {
    const issue = fieldIssue(fields[name]!, args[name]);
    if (issue !== undefined) issues.push(`args.${name}: ${issue}`);
  }
  for (const name in args) if (!(name in fields)) issues.push(`args.${name}: unknown field`);
  if (issues.length > 0) throw new ValidationError(`command ${type}`, issues);
  return args as A;
}

function fieldIssue(field: Field, value: unknown): string | undefined {
  if (field.kind === 'bytes')
    return value instanceof Uint8Array && value.length >= 1 && value.length <= 1 << 20
      ? undefined
      : 'expected a Uint8Array of 1 byte to 1 MiB';
  if (value === undefined && field.optional) return undefined;
  if (
    typeof value === 'number' &&
    Number.isSafeInteger(value) &&
    value >= field.min &&
    value <= field.max
  ) {
    if (field.what === 'a power of two' && !Number.isInteger(Math.log2(value)))
      return `expected a power of two, got ${value}`;
    return undefined;
  }
  return `expected ${field.what} (an integer from ${field.min} to ${field.max})`;
}
