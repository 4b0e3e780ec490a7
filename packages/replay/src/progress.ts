/** Called as a long replay goes: records done so far, of how many. */
export type Progress = (done: number, total: number) => void;

/**
 * Calls `progress` each time the count passes a multiple of `every`, and once at the end. The
 * count may jump (a replay that skips commands counts by seq), and is called at most once per value.
 */
export function progressEvery(
  progress: Progress | undefined,
  total: number,
  every = 65_536,
): (done: number) => void {
  if (!progress) return () => undefined;
  let last = 0;
  return (done) => {
    if (done <= last) return;
    const crossed = Math.floor(done / every) > Math.floor(last / every);
    last = done;
    if (crossed || done === total) progress(done, total);
  };
}
