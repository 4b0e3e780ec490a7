import { hex } from './layout';

/** A run of guest-physical memory as the manifest lists it. */
interface Run {
  readonly gpa: number;
  readonly pages: number;
}

/**
 * The manifest's memory runs, sorted, for the questions asked of every page: does a run hold this
 * gpa, does memory cover this range. The runs must not overlap (the manifest's schema checks it).
 */
export class MemoryMap {
  private readonly starts: number[];
  private readonly ends: number[];

  constructor(memory: readonly Run[], pageSize: number) {
    const sorted = [...memory].sort((a, b) => a.gpa - b.gpa);
    this.starts = sorted.map((run) => run.gpa);
    this.ends = sorted.map((run) => run.gpa + run.pages * pageSize);
  }

  /** Whether a run holds the byte at `gpa`. */
  holds(gpa: number): boolean {
    const i = this.runAtOrBefore(gpa);
    return i >= 0 && gpa < this.ends[i]!;
  }

  /** Whether runs hold every byte of `[start, end)`, adjacent runs counting as one. */
  covers(start: number, end: number): boolean {
    let i = this.runAtOrBefore(start);
    if (i < 0 || start >= this.ends[i]!) return false;
    while (this.ends[i]! < end) {
      if (this.starts[i + 1] !== this.ends[i]) return false;
      i++;
    }
    return true;
  }

  /** The last run starting at or before `gpa`, or -1 (a binary search: images hold many pages). */
  private runAtOrBefore(gpa: number): number {
    let [low, high] = [0, this.starts.length - 1];
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.starts[mid]! <= gpa) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    return found;
  }
}

/**
 * What is wrong with where a captured page lies, or undefined: the words after "page 3 (gpa
 * 0x3000)", shared by the encoder's and the decoder's messages. `previous` is the gpa of the page
 * before it in the index.
 */
export function placementProblem(
  gpa: number,
  previous: number | undefined,
  pageSize: number,
  memory: MemoryMap,
): string | undefined {
  if (previous !== undefined && gpa === previous) return 'duplicates the page before it';
  if (previous !== undefined && gpa < previous)
    return `is out of order: it follows gpa ${hex(previous)}, and pages go in ascending gpa`;
  if (gpa % pageSize !== 0) return `is not aligned to the pageSize ${pageSize}`;
  if (!memory.holds(gpa)) return 'lies outside every memory run of the manifest';
  return undefined;
}
