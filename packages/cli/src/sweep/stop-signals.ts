/** The signals that stop a sweep or a worker: Ctrl-C, and what `kill` or a supervisor sends. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Calls `stop` on each stop signal until the returned function is called. */
export function onStopSignals(stop: () => void): () => void {
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, stop);
  };
}
