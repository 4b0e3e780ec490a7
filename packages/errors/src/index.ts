/**
 * The root of every error Chronovisor throws on purpose. Each subclass carries what a user needs
 * to fix the input, so a front end can print `error.message` alone and be understood.
 *
 * A package of its own so that code run on worker threads (the store's sealing thread) can throw
 * Chronovisor's errors without loading the kernel, which costs a thread ~0.2 s to start.
 */
export class ChronovisorError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
