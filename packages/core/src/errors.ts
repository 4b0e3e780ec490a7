import { ChronovisorError } from '@chronovisor/errors';

export { ChronovisorError };

/** A command's arguments, a manifest or a config did not match its schema. */
export class ValidationError extends ChronovisorError {
  /**
   * @param subject what was being checked, e.g. `command counter.increment`
   * @param issues one line per problem, each naming the field path
   */
  constructor(
    readonly subject: string,
    readonly issues: readonly string[],
  ) {
    super(`Invalid ${subject}: ${issues.join('; ')}`);
  }
}

/** A command type that no plugin in the set handles. */
export class UnknownCommandError extends ChronovisorError {
  constructor(
    readonly type: string,
    known: readonly string[],
  ) {
    super(
      `No plugin in this set handles command "${type}"` +
        (known.length > 0 ? ` (known: ${known.join(', ')})` : ' (the set handles no commands)'),
    );
  }
}

/** An event type that no plugin in the set declared. */
export class UnknownEventTypeError extends ChronovisorError {
  constructor(readonly type: string) {
    super(`Event type "${type}" is not declared by any plugin in this set`);
  }
}
