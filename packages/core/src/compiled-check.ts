import type { z } from 'zod';

/*
 * A check compiled from a zod schema: the boundary's fast path. Zod walks a schema's definition
 * on every parse (about 200 ns for a small command's arguments, as much as the kernel's whole
 * dispatch); the function generated here makes the same tests in straight-line code (about
 * 20 ns), as zod's own JIT does for its objects but for the checks too. It is generated for the
 * schema types and checks that command arguments use, and not at all for a schema using any
 * other. It only ever vouches: where it accepts, zod accepts and gives the same output; where it
 * cannot tell (an error, or a case whose zod semantics are subtle), it says so, and zod decides
 * and words the error.
 */

/** What a compiled check returns where zod must decide. */
export const UNDECIDED: unique symbol = Symbol('undecided');

/** The parsed value, or {@link UNDECIDED}. */
export type CompiledCheck = (input: unknown) => unknown;

/** The zod definition fields read here (zod 4's `_zod.def`, its documented internals). */
interface Def {
  readonly type: string;
  readonly checks?: readonly ZodCheck[];
  readonly shape?: Record<string, z.ZodType>;
  readonly catchall?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly defaultValue?: unknown;
  readonly element?: z.ZodType;
  readonly entries?: Record<string, unknown>;
  readonly values?: readonly unknown[];
  readonly in?: z.ZodType;
  readonly out?: z.ZodType;
  readonly fn?: (value: unknown) => unknown;
  readonly transform?: (value: unknown) => unknown;
}

/** A check as zod runs it: `check(payload)` adds issues to the payload, or returns a promise. */
interface ZodCheck {
  readonly _zod: {
    readonly def: CheckDef;
    readonly check: (payload: { value: unknown; issues: unknown[] }) => unknown;
  };
}

interface CheckDef {
  readonly check: string;
  readonly format?: string;
  readonly value?: unknown;
  readonly inclusive?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly length?: number;
  readonly pattern?: RegExp;
  readonly when?: unknown;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The compiled check of `schema`, or undefined where it uses something not compiled here. */
export function compileCheck(schema: z.ZodType): CompiledCheck | undefined {
  const generator = new Generator();
  const body = generator.parse(schema, 'input', 'out');
  if (body === undefined) return undefined;
  const source = `let out;\n${generator.declarations()}${body}\nreturn out;`;
  // Generated from the schema's definition only: names and literals are quoted with JSON.stringify.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const check = new Function('U', 'E', 'input', source) as (
    undecided: symbol,
    environment: readonly unknown[],
    input: unknown,
  ) => unknown;
  const environment = generator.environment;
  return (input) => check(UNDECIDED, environment, input);
}

const NOT_COMPILED = undefined;
/** The types whose output is their checked input, so that a refinement can be run on it. */
const REFINABLE = new Set(['number', 'string', 'boolean', 'array', 'object', 'custom']);

/**
 * A refinement as a test: zod's own check run on a payload of ours, passing where it adds no
 * issue. An async one, or one that throws, is zod's to run.
 */
function refinement(check: ZodCheck): (value: unknown) => boolean {
  return (value) => {
    const payload = { value, issues: [] as unknown[] };
    try {
      const result = check._zod.check(payload);
      return !(result instanceof Promise) && payload.issues.length === 0;
    } catch {
      return false;
    }
  };
}
/** A primitive that generated code may spell as a literal. */
const literal = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'boolean' || value === null
    ? JSON.stringify(value)
    : typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0)
      ? String(value)
      : undefined;

/** Writes the statements that check one value and set another to its parsed value. */
class Generator {
  /** Functions, patterns and values the generated code reaches as `E[i]`. */
  readonly environment: unknown[] = [];
  private variables = 0;

  declarations(): string {
    return this.variables === 0
      ? ''
      : `let ${Array.from({ length: this.variables }, (_, i) => `v${i}`).join(', ')};\n`;
  }

  /** Statements that check `input` and set `target`, else return U; undefined if not compiled. */
  parse(schema: z.ZodType, input: string, target: string): string | undefined {
    const def = defOf(schema);
    // Refinements (refine, superRefine) run after the type's own tests, on its output, as in zod.
    const refinements = (def.checks ?? []).filter((c) => c._zod.def.check === 'custom');
    if (refinements.length === 0) return this.type(def, input, target);
    if (!REFINABLE.has(def.type)) return NOT_COMPILED;
    const own = { ...def, checks: def.checks!.filter((c) => c._zod.def.check !== 'custom') };
    const body = this.type(own, input, target);
    const tests = refinements.map((c) => `if (!${this.use(refinement(c))}(${target})) return U;`);
    return body && [body, ...tests].join('\n');
  }

  private type(def: Def, input: string, target: string): string | undefined {
    const plain = def.checks === undefined || def.checks.length === 0;
    // A schema that is itself a check (z.int32(), z.email()): its tests are not spelled here.
    if (def.type !== 'custom' && ('check' in def || 'format' in def)) return NOT_COMPILED;
    switch (def.type) {
      case 'number':
        return this.number(def, input, target);
      case 'string':
        return this.string(def, input, target);
      case 'boolean':
        return plain ? this.test(`typeof ${input} === 'boolean'`, input, target) : NOT_COMPILED;
      case 'null':
        return plain ? this.test(`${input} === null`, input, target) : NOT_COMPILED;
      case 'enum':
      case 'literal':
        return plain
          ? this.oneOf(
              def.type === 'enum' ? Object.values(def.entries!) : def.values!,
              input,
              target,
            )
          : NOT_COMPILED;
      case 'nullable': {
        const inner = plain ? this.parse(def.innerType!, input, target) : NOT_COMPILED;
        return inner && `if (${input} === null) ${target} = null;\nelse {\n${inner}\n}`;
      }
      case 'custom':
        // Only a plain yes: a promise (an async refinement) is zod's to refuse.
        return plain
          ? this.test(`${this.use(def.fn)}(${input}) === true`, input, target)
          : NOT_COMPILED;
      case 'transform':
        // A transform that takes zod's context may report issues through it: zod's to run.
        if (def.transform!.length > 1) return NOT_COMPILED;
        return `${target} = ${this.use(def.transform)}(${input});\nif (${target} instanceof Promise) return U;`;
      case 'pipe': {
        const middle = this.variable();
        const from = this.parse(def.in!, input, middle);
        const to = from && this.parse(def.out!, middle, target);
        return to && `${from}\n${to}`;
      }
      case 'unknown':
        // Anything at all: the handler checks it (a plugin's state read back from a file).
        return plain ? `${target} = ${input};` : NOT_COMPILED;
      case 'array':
        return this.array(def, input, target);
      case 'object':
        return plain ? this.object(def, input, target) : NOT_COMPILED;
      default:
        return NOT_COMPILED;
    }
  }

  private number(def: Def, input: string, target: string): string | undefined {
    // zod's numbers are finite: no NaN, no infinities.
    const tests = [`typeof ${input} === 'number'`, `Number.isFinite(${input})`];
    for (const { _zod } of def.checks ?? []) {
      const c = _zod.def;
      const bound = literal(c.value);
      if (c.when !== undefined) return NOT_COMPILED;
      if (c.check === 'number_format' && c.format === 'safeint')
        tests.push(`Number.isSafeInteger(${input})`);
      else if (c.check === 'greater_than' && bound !== undefined && typeof c.value === 'number')
        tests.push(`${input} ${c.inclusive ? '>=' : '>'} ${bound}`);
      else if (c.check === 'less_than' && bound !== undefined && typeof c.value === 'number')
        tests.push(`${input} ${c.inclusive ? '<=' : '<'} ${bound}`);
      else return NOT_COMPILED;
    }
    return this.test(tests.join(' && '), input, target);
  }

  private string(def: Def, input: string, target: string): string | undefined {
    const tests = [`typeof ${input} === 'string'`];
    for (const { _zod } of def.checks ?? []) {
      const c = _zod.def;
      const length = this.lengthTest(c, input);
      if (length !== undefined) tests.push(length);
      else if (c.check === 'string_format' && c.format === 'regex' && c.pattern && !c.when) {
        // lastIndex first, as zod does, for a pattern with the g or y flag.
        const pattern = this.use(c.pattern);
        tests.push(`(${pattern}.lastIndex = 0, ${pattern}.test(${input}))`);
      } else return NOT_COMPILED;
    }
    return this.test(tests.join(' && '), input, target);
  }

  private array(def: Def, input: string, target: string): string | undefined {
    const tests = [`Array.isArray(${input})`];
    for (const { _zod } of def.checks ?? []) {
      const length = this.lengthTest(_zod.def, input);
      if (length === undefined) return NOT_COMPILED;
      tests.push(length);
    }
    const item = this.variable();
    const parsed = this.variable();
    const index = `i${this.variables}`;
    const element = this.parse(def.element!, item, parsed);
    if (element === undefined) return NOT_COMPILED;
    return [
      `if (!(${tests.join(' && ')})) return U;`,
      `${target} = new Array(${input}.length);`,
      `for (let ${index} = 0; ${index} < ${input}.length; ${index}++) {`,
      `${item} = ${input}[${index}];`,
      element,
      `${target}[${index}] = ${parsed};`,
      `}`,
    ].join('\n');
  }

  /** An object, strict (unknown keys refused) or stripping (unknown keys dropped). */
  private object(def: Def, input: string, target: string): string | undefined {
    const catchall = def.catchall && defOf(def.catchall).type;
    if (catchall !== undefined && catchall !== 'never') return NOT_COMPILED;
    const keys = Object.keys(def.shape!);
    const lines = [
      `if (typeof ${input} !== 'object' || ${input} === null || Array.isArray(${input})) return U;`,
    ];
    if (catchall === 'never') {
      const known = keys.map((key) => `k !== ${JSON.stringify(key)}`).join(' && ') || 'true';
      lines.push(`for (const k in ${input}) if (${known}) return U;`);
    }
    const fields: string[] = [];
    for (const key of keys) {
      let schema = def.shape![key]!;
      const field = defOf(schema);
      let missing = 'return U;';
      if ((field.type === 'optional' || field.type === 'default') && !field.checks?.length) {
        schema = field.innerType!;
        const fallback = literal(field.defaultValue);
        // zod copies an object default on each use: only a primitive one is compiled.
        if (field.type === 'default' && fallback === undefined) return NOT_COMPILED;
        missing =
          field.type === 'optional' ? '' : `${target}[${JSON.stringify(key)}] = ${fallback};`;
      }
      const value = this.variable();
      const parsed = this.variable();
      const check = this.parse(schema, value, parsed);
      if (check === undefined) return NOT_COMPILED;
      const name = JSON.stringify(key);
      fields.push(
        `${value} = ${input}[${name}];`,
        // A key given as undefined: zod's output keeps it or not by rules of its own.
        `if (${value} === undefined) { if (${name} in ${input}) return U; ${missing} }`,
        `else {\n${check}\n${target}[${name}] = ${parsed};\n}`,
      );
    }
    return [...lines, `${target} = {};`, ...fields].join('\n');
  }

  private lengthTest(c: CheckDef, input: string): string | undefined {
    if (c.check === 'min_length') return `${input}.length >= ${c.minimum}`;
    if (c.check === 'max_length') return `${input}.length <= ${c.maximum}`;
    if (c.check === 'length_equals') return `${input}.length === ${c.length}`;
    return undefined;
  }

  private oneOf(values: readonly unknown[], input: string, target: string): string | undefined {
    const spelled = values.map(literal);
    if (spelled.length === 0 || spelled.some((v) => v === undefined)) return NOT_COMPILED;
    return this.test(spelled.map((v) => `${input} === ${v}`).join(' || '), input, target);
  }

  private test(condition: string, input: string, target: string): string {
    return `if (!(${condition})) return U;\n${target} = ${input};`;
  }

  /** A fresh variable of the generated function. */
  private variable(): string {
    return `v${this.variables++}`;
  }

  /** `E[i]`: the generated code's way to reach `value`. */
  private use(value: unknown): string {
    this.environment.push(value);
    return `E[${this.environment.length - 1}]`;
  }
}
