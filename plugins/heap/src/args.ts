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
const pointerField: Field = {
  kind: 'integer',
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
  what: 'a pointer',
  optional: true,
};
/** A name the caller gives a pointer (a program's variable), so commands survive another policy's addresses. */
export const refField: Field = {
  kind: 'integer',
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
  what: 'a ref',
  optional: true,
};
const offsetField: Field = {
  kind: 'integer',
  min: 0,
  max: 2 ** 30,
  what: 'a byte offset',
  optional: true,
};

/** Where a pointer comes from: given as is, or the one held in a ref, plus an offset. */
export type PointerOperand =
  | { readonly ptr: number; readonly ref?: undefined; readonly offset?: undefined }
  | { readonly ptr?: undefined; readonly ref: number; readonly offset?: number };

/** Fields of a command that takes a pointer: `ptr`, or `ref` with an optional `offset`. */
export const pointerFields = { ptr: pointerField, ref: refField, offset: offsetField };

/**
 * A parser for a command with a pointer operand: {@link checkArgs} over `fields` plus `ptr`,
 * `ref` and `offset`, with exactly one of `ptr` and `ref`. The fields are merged once, here.
 */
export function pointerArgs<A extends PointerOperand>(
  type: string,
  fields: Readonly<Record<string, Field>>,
): (raw: unknown) => A {
  const all = { ...fields, ...pointerFields };
  return (raw) => {
    const args = checkArgs<A>(type, raw, all);
    if ((args.ptr === undefined) === (args.ref === undefined))
      throw new ValidationError(`command ${type}`, ['args: expected either ptr or ref']);
    if (args.ptr !== undefined && args.offset !== undefined)
      throw new ValidationError(`command ${type}`, [
        'args.offset: only goes with ref (add it to ptr instead)',
      ]);
    return args;
  };
}
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
