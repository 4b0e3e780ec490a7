import { ChronovisorError } from '@chronovisor/core';

/** A number as a request writes it: decimal, or hex with 0x (NaN for anything else). */
export function parseNumber(text: string): number {
  return /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : Number(text);
}

/** A request the API cannot answer as asked: status 400, with a message naming the parameter. */
export class ApiInputError extends ChronovisorError {}

/** A request's query parameters, read with checks that name what is wrong. */
export class Params {
  constructor(private readonly query: URLSearchParams) {}

  /** A whole number in [min, max]; `fallback` when absent (required when there is none). */
  int(name: string, range: { min: number; max: number }, fallback?: number): number {
    const raw = this.query.get(name);
    if (raw === null || raw === '') {
      if (fallback !== undefined) return fallback;
      throw new ApiInputError(`missing parameter ${name}`);
    }
    const n = parseNumber(raw);
    if (!Number.isSafeInteger(n) || n < range.min || n > range.max)
      throw new ApiInputError(
        `parameter ${name} must be a whole number from ${range.min} to ${range.max}, not "${raw}"`,
      );
    return n;
  }

  string(name: string): string | undefined {
    const raw = this.query.get(name);
    return raw === null || raw === '' ? undefined : raw;
  }

  flag(name: string): boolean {
    const raw = this.query.get(name);
    return raw === '1' || raw === 'true';
  }

  all(name: string): string[] {
    return this.query.getAll(name);
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = this.query.get(name);
    if (raw === null || raw === '') return fallback;
    if (!(values as readonly string[]).includes(raw))
      throw new ApiInputError(
        `parameter ${name} must be one of ${values.join(', ')}, not "${raw}"`,
      );
    return raw as T;
  }
}
