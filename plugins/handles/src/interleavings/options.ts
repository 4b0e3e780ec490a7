import type { InterleavingOptions, TableVariant } from './types';

/** {@link InterleavingOptions} checked, with every default filled in. */
export interface Scenario {
  readonly variant: TableVariant;
  readonly leafEntries: number;
  readonly pointersPerTable: number;
  readonly initialHandles: number;
  readonly resolvers: number;
  readonly resolves: number;
  readonly creates: number;
  readonly churn: boolean;
  readonly mode: 'exhaustive' | 'random';
  readonly seed: number;
  readonly schedules: number;
  /** Infinity: raise the bound until nothing is cut off. */
  readonly maxPreemptions: number;
  readonly maxInterleavings: number;
}

const VARIANTS: readonly TableVariant[] = ['atomic', 'split-code', 'split-entry'];
const MODES = ['exhaustive', 'random'] as const;

/** The largest handle index plus one: a full three-level table. */
export function fullCapacity(leafEntries: number, pointersPerTable: number): number {
  return leafEntries * pointersPerTable * pointersPerTable;
}

/** Checks `options` and fills in the defaults; throws a RangeError naming the bad option. */
export function resolveScenario(options: InterleavingOptions): Scenario {
  if (!VARIANTS.includes(options.variant)) {
    throw new RangeError(
      `variant must be one of ${VARIANTS.map((v) => `'${v}'`).join(', ')}, got ${String(options.variant)}`,
    );
  }
  const leafEntries = integer('leafEntries', options.leafEntries, 2, 2, 8);
  const pointersPerTable = integer('pointersPerTable', options.pointersPerTable, 2, 2, 8);
  // Index 0 is never used, so a full one-level table holds one handle fewer than its entries.
  const usable = fullCapacity(leafEntries, pointersPerTable) - 1;
  const initialHandles = integer(
    'initialHandles',
    options.initialHandles,
    leafEntries - 1,
    1,
    usable,
  );
  const resolvers = integer('resolvers', options.resolvers, 2, 1, 6);
  const resolves = integer('resolves', options.resolves, 1, 1, 4);
  const creates = integer('creates', options.creates, 1, 0, usable - initialHandles);
  if (options.churn !== undefined && typeof options.churn !== 'boolean') {
    throw new RangeError(`churn must be true or false, got ${String(options.churn)}`);
  }
  const mode = options.mode ?? 'exhaustive';
  if (!MODES.includes(mode)) {
    throw new RangeError(`mode must be 'exhaustive' or 'random', got ${String(mode)}`);
  }
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be a safe integer, got ${String(seed)}`);
  }
  return {
    variant: options.variant,
    leafEntries,
    pointersPerTable,
    initialHandles,
    resolvers,
    resolves,
    creates,
    churn: options.churn ?? false,
    mode,
    seed,
    schedules: integer('schedules', options.schedules, 10_000, 1, 1_000_000_000),
    maxPreemptions:
      options.maxPreemptions === undefined
        ? Infinity
        : integer('maxPreemptions', options.maxPreemptions, 0, 0, 1_000),
    maxInterleavings: integer(
      'maxInterleavings',
      options.maxInterleavings,
      2_000_000,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
  };
}

function integer(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}
