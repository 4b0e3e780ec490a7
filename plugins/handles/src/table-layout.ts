import { ENTRY_BYTES, POINTER_BYTES, type HandlesConfig } from './handles-options';
import { HandlesError } from './handles-error';

/** How every space's handle table is laid out, from the options and the MMU's pages. */
export interface TableLayout {
  /** Where table number 0 of each space is mapped; table n is at `base + n × pageSize`. */
  readonly base: number;
  readonly pageSize: number;
  readonly leafEntries: number;
  readonly pointersPerTable: number;
  readonly maxLevels: number;
  /** 2^indexBits: a handle's index is `handle mod indexSpan`. */
  readonly indexSpan: number;
  /** 2^identifierBits: how many identifiers a slot cycles through before one repeats. */
  readonly identifiers: number;
  /** One past the largest index a table may hand out: what `maxLevels` tables hold, within indexBits. */
  readonly indexLimit: number;
  /** One past the last byte any table may be mapped at. */
  readonly end: number;
}

/** Indices a table of `levels` levels holds. */
export function capacityOf(layout: TableLayout, levels: number): number {
  return layout.leafEntries * layout.pointersPerTable ** (levels - 1);
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** The layout under `config` on the MMU's pages; throws naming the option that does not fit. */
export function tableLayout(config: HandlesConfig, pageSize: number, vaLimit: number): TableLayout {
  const leafEntries = config.leafEntries ?? pageSize / ENTRY_BYTES;
  const pointersPerTable = config.pointersPerTable ?? pageSize / POINTER_BYTES;
  if (leafEntries * ENTRY_BYTES > pageSize)
    throw new HandlesError(
      `leafEntries (${leafEntries}) × ${ENTRY_BYTES}-byte entries do not fit the MMU's ${pageSize}-byte pages`,
    );
  if (pointersPerTable * POINTER_BYTES > pageSize)
    throw new HandlesError(
      `pointersPerTable (${pointersPerTable}) × ${POINTER_BYTES}-byte pointers do not fit the MMU's ${pageSize}-byte pages`,
    );
  if (config.base % pageSize !== 0)
    throw new HandlesError(
      `base ${hex(config.base)} is not aligned to the MMU's ${pageSize}-byte pages`,
    );
  const indexSpan = 2 ** config.indexBits;
  const layout = {
    base: config.base,
    pageSize,
    leafEntries,
    pointersPerTable,
    maxLevels: config.maxLevels,
    indexSpan,
    identifiers: 2 ** config.identifierBits,
    indexLimit: 0,
    end: 0,
  };
  const indexLimit = Math.min(indexSpan, capacityOf(layout, config.maxLevels));
  const leaves = Math.ceil(indexLimit / leafEntries);
  const mids = config.maxLevels === 3 ? Math.ceil(leaves / pointersPerTable) : 0;
  const end = config.base + (leaves + mids + 1) * pageSize;
  if (end > vaLimit)
    throw new HandlesError(
      `the handle tables (${hex(config.base)} to ${hex(end)}) run past the MMU's ${hex(vaLimit)} address space: lower base or indexBits`,
    );
  return { ...layout, indexLimit, end };
}

/** A handle's value: the slot's identifier above the index bits. */
export function handleOf(layout: TableLayout, index: number, identifier: number): number {
  return identifier * layout.indexSpan + index;
}

/** The index a handle names. */
export function indexOf(layout: TableLayout, handle: number): number {
  return handle % layout.indexSpan;
}

/** The identifier a handle carries. */
export function identifierOf(layout: TableLayout, handle: number): number {
  return Math.floor(handle / layout.indexSpan);
}
