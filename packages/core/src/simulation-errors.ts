import { ChronovisorError } from './errors';

/** `dispatch` was called while a command was executing (from a handler or a bus observer). */
export class ReentrantDispatchError extends ChronovisorError {
  constructor(type: string) {
    super(
      `Cannot dispatch "${type}" while another command is executing: ` +
        'to issue commands in response to events, contribute a Reactor (its commands run after the current one, in order)',
    );
  }
}

/** The simulation was used after `close()`. */
export class SimulationClosedError extends ChronovisorError {
  constructor() {
    super('The simulation is closed');
  }
}
