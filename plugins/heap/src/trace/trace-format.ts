import { ChronovisorError } from '@chronovisor/core';

/** One operation of an allocation trace; ids name blocks across the trace. */
export type TraceOp =
  | { readonly op: 'alloc'; readonly id: number; readonly size: number; readonly line: number }
  | { readonly op: 'free'; readonly id: number; readonly line: number }
  | { readonly op: 'realloc'; readonly id: number; readonly size: number; readonly line: number };

/** A parsed trace. */
export interface Trace {
  /** Where it came from, for messages. */
  readonly source: string;
  /** `wee-alloc`: `Alloc(n),` / `Free(i),` lines; `malloc-lab`: CS:APP's `.rep` files. */
  readonly format: 'wee-alloc' | 'malloc-lab';
  readonly ops: readonly TraceOp[];
}

/** A trace line that cannot be read: names the file, the line, and what was expected there. */
export class TraceError extends ChronovisorError {
  constructor(
    readonly source: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${source}:${line}: ${detail}`);
  }
}

const WEE_ALLOC = /^(Alloc|Free)\((\d+)\),?$/;
const REP_OP = /^([afr])\s+(\d+)(?:\s+(\d+))?$/;

/**
 * Reads a trace, telling the format from its content: the real-program traces of wee_alloc
 * (`Alloc(552),`, `Free(1),`; allocations numbered in order) or CS:APP malloc-lab `.rep` files
 * (four header numbers: suggested heap size, ids, ops, weight; then `a id size`, `f id`,
 * `r id size`). Every op is checked against the blocks live at that point, so a trace that frees
 * what it never allocated is refused with the line, not run.
 */
export function parseTrace(text: string, source: string): Trace {
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) throw new TraceError(source, 1, 'the trace is empty');
  return /^(Alloc|Free)\(/.test(lines[first]!.trim())
    ? parseWeeAlloc(lines, source)
    : parseMallocLab(lines, source);
}

function parseWeeAlloc(lines: readonly string[], source: string): Trace {
  const ops: TraceOp[] = [];
  const live = new Set<number>();
  let next = 0;
  lines.forEach((raw, i) => {
    const text = raw.trim();
    const line = i + 1;
    if (text === '') return;
    const match = WEE_ALLOC.exec(text);
    if (!match)
      throw new TraceError(
        source,
        line,
        `expected "Alloc(<bytes>)," or "Free(<index>),", found "${clip(text)}"`,
      );
    const n = Number(match[2]);
    if (match[1] === 'Alloc') {
      ops.push({ op: 'alloc', id: next, size: n, line });
      live.add(next++);
      return;
    }
    if (!live.delete(n))
      throw new TraceError(
        source,
        line,
        n < next
          ? `Free(${n}) frees allocation ${n} a second time`
          : `Free(${n}) frees allocation ${n}, which was never made (${next} so far)`,
      );
    ops.push({ op: 'free', id: n, line });
  });
  return { source, format: 'wee-alloc', ops };
}

function parseMallocLab(lines: readonly string[], source: string): Trace {
  const header: number[] = [];
  let i = 0;
  let headerLine = 1;
  for (; i < lines.length && header.length < 4; i++) {
    for (const token of lines[i]!.trim().split(/\s+/).filter(Boolean)) {
      headerLine = i + 1;
      if (!/^\d+$/.test(token))
        throw new TraceError(
          source,
          i + 1,
          `expected the .rep header (heap size, number of ids, number of ops, weight) or wee_alloc lines, found "${clip(token)}"`,
        );
      header.push(Number(token));
    }
  }
  if (header.length !== 4)
    throw new TraceError(
      source,
      headerLine,
      `expected four header numbers (heap size, ids, ops, weight), found ${header.length}`,
    );
  const [, ids, count] = header as [number, number, number, number];
  const ops: TraceOp[] = [];
  const live = new Set<number>();
  for (; i < lines.length; i++) {
    const text = lines[i]!.trim();
    const line = i + 1;
    if (text === '') continue;
    const match = REP_OP.exec(text);
    if (!match || (match[1] === 'f') !== (match[3] === undefined))
      throw new TraceError(
        source,
        line,
        `expected "a <id> <size>", "f <id>" or "r <id> <size>", found "${clip(text)}"`,
      );
    const id = Number(match[2]);
    if (id >= ids)
      throw new TraceError(
        source,
        line,
        `id ${id} is out of range: the header declares ${ids} ids`,
      );
    const kind = match[1]!;
    if (kind === 'a') {
      if (live.has(id))
        throw new TraceError(source, line, `id ${id} is allocated again without being freed`);
      live.add(id);
      ops.push({ op: 'alloc', id, size: Number(match[3]), line });
    } else if (!live.has(id)) {
      throw new TraceError(
        source,
        line,
        `${kind === 'f' ? 'frees' : 'reallocates'} id ${id}, which is not allocated`,
      );
    } else if (kind === 'f') {
      live.delete(id);
      ops.push({ op: 'free', id, line });
    } else {
      ops.push({ op: 'realloc', id, size: Number(match[3]), line });
    }
  }
  if (ops.length !== count)
    throw new TraceError(
      source,
      lines.length,
      `the header declares ${count} ops, the trace has ${ops.length}`,
    );
  return { source, format: 'malloc-lab', ops };
}

const clip = (text: string): string => (text.length > 40 ? `${text.slice(0, 40)}…` : text);
