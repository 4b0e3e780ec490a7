/** Called as a long replay goes: records done so far, of how many. */
export type Progress = (done: number, total: number) => void;

/** Calls `progress` every `every` records, and once at the end. */
export function progressEvery(
  progress: Progress | undefined,
  total: number,
  every = 65_536,
): (done: number) => void {
  if (!progress) return () => undefined;
  return (done) => {
    if (done % every === 0 || done === total) progress(done, total);
  };
}
