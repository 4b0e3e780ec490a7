import { ChronovisorError } from '@chronovisor/core';

/** The shape of addresses: page size and the radix page table's levels. */
export interface Geometry {
  readonly pageSize: number;
  readonly pageShift: number;
  readonly levels: number;
  readonly bitsPerLevel: number;
  /** Bits of a virtual address: pageShift + levels × bitsPerLevel (48 by default, as x86-64 and ARMv8). */
  readonly vaBits: number;
  readonly vaLimit: number;
}

/** The geometry of a page size and table shape; refuses one whose addresses would not fit a JS number. */
export function makeGeometry(pageSize: number, levels: number, bitsPerLevel: number): Geometry {
  const pageShift = Math.log2(pageSize);
  const vaBits = pageShift + levels * bitsPerLevel;
  if (vaBits > 52) {
    throw new ChronovisorError(
      `A ${levels}-level table of ${bitsPerLevel} bits per level with ${pageSize}-byte pages spans ${vaBits}-bit addresses; at most 52 fit in a JS number`,
    );
  }
  return { pageSize, pageShift, levels, bitsPerLevel, vaBits, vaLimit: 2 ** vaBits };
}
