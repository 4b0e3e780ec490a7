/** One benchmark figure, beside the baseline it is judged against, measured in the same run. */
export interface Figure {
  readonly suite: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: { readonly name: string; readonly value: number };
  /** value / baseline.value */
  readonly ratio: number;
  /** For times and sizes: smaller is better, and the ratio reads as "× faster" or "× smaller". */
  readonly lowerIsBetter?: boolean;
  /** A line of context printed under the figure (the run behind it). */
  readonly detail?: string;
  /** What the issue asks for, if anything, and whether this run met it. */
  readonly aim?: { readonly text: string; readonly met: boolean };
}

/** A figure with its ratio to the baseline computed. */
export function figure(fields: Omit<Figure, 'ratio'>): Figure {
  return { ...fields, ratio: fields.value / fields.baseline.value };
}
