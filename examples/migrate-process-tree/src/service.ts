import type { Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import {
  ProcQuery,
  exit,
  fork,
  open,
  pipe,
  setsid,
  shm,
  spawn,
  writeFd,
} from '@chronovisor/plugin-checkpoint';

/** What the service's processes are, by pid. */
export interface Service {
  readonly supervisor: number;
  readonly workers: readonly number[];
  readonly logger: number;
}

/** Where a process's memory starts (the plugin's default). */
export const PROCESS_VA = 0x40_0000;

/**
 * A web service as CRIU's zdtm cases would build it: a supervisor leading its session, with its
 * state in memory; workers forked from it (memory copy-on-write, the listening socket and the log
 * pipe shared), each writing its own request counters; a cache segment the workers map; a logger
 * in a session of its own; and a worker that exited and was not reaped yet (a zombie).
 */
export function startService(sim: Simulation, domain: string, actor: string): Service {
  const run = <T>(result: { ok: boolean; value?: T; rejection?: { message: string } }): T => {
    if (!result.ok) throw new Error(result.rejection!.message);
    return result.value as T;
  };
  const as = { actor };
  const query = sim.get(ProcQuery);
  const memory = (pid: number, va: number, data: Uint8Array) =>
    run(sim.dispatch(mmu.write, { space: query.process(domain, pid)!.space, va, data }, as));

  const supervisor = run(sim.dispatch(spawn, { domain, pages: 16, session: true }, as));
  memory(supervisor, PROCESS_VA, new TextEncoder().encode('config: workers=4 port=8080'));
  run(sim.dispatch(open, { domain, pid: supervisor, path: '/run/web.sock', flags: 'rw' }, as));
  const [, logWrite] = run(sim.dispatch(pipe, { domain, pid: supervisor }, as));
  const workers = [0, 1, 2, 3].map(() => run(sim.dispatch(fork, { domain, pid: supervisor }, as)));
  for (const w of workers) {
    memory(w, PROCESS_VA + 4096, Uint8Array.of(w, 0, 0, 0)); // its own counters: a private copy
    run(sim.dispatch(shm, { domain, pid: w, key: 'page-cache', pages: 4, va: 0x7000_0000 }, as));
    const line = new TextEncoder().encode(`worker ${w} up\n`);
    run(sim.dispatch(writeFd, { domain, pid: w, fd: logWrite, data: line }, as));
  }
  const logger = run(sim.dispatch(spawn, { domain, parent: supervisor, pages: 4 }, as));
  run(sim.dispatch(setsid, { domain, pid: logger }, as));
  run(sim.dispatch(exit, { domain, pid: workers[3]!, code: 1 }, as));
  return { supervisor, workers: workers.slice(0, 3), logger };
}
