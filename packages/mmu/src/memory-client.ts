import {
  ChronovisorError,
  type CommandResult,
  type CommandType,
  type InputOf,
  type Rejection,
  type ResultOf,
  type Simulation,
} from '@chronovisor/core';
import { read, write } from './mmu-commands';
import type { FaultRaised } from './mmu-events';

/** An access that faulted, thrown by {@link MemoryClient} so scenario code reads like a program. */
export class MemoryFault extends ChronovisorError {
  constructor(readonly fault: FaultRaised) {
    super(
      `${fault.access} of 0x${fault.va.toString(16)} in space ${fault.space} faulted: ${fault.kind} (stage ${fault.stage})`,
    );
  }
}

/** A command the simulation refused, thrown by {@link MemoryClient}. */
export class CommandRefused extends ChronovisorError {
  constructor(
    readonly type: string,
    readonly rejection: Rejection,
  ) {
    super(`${type} was refused: ${rejection.message}`);
  }
}

/**
 * Runs `command` from outside as `actor` and returns its value: what scenario clients (memory,
 * heap, handles, a guest's accesses) do with every command; a refusal throws {@link CommandRefused}.
 */
export function dispatchAccepted<C extends CommandType>(
  simulation: Simulation,
  command: C,
  args: InputOf<C>,
  actor: string,
): ResultOf<C> {
  const result: CommandResult<ResultOf<C>> = simulation.dispatch(command, args, { actor });
  if (!result.ok) throw new CommandRefused(command.type, result.rejection!);
  return result.value as ResultOf<C>;
}

/**
 * Typed loads and stores (little-endian, as x86 and ARM run), each one an `mmu.read` or
 * `mmu.write` command recorded in the log, for scenarios and tests. A fault throws a
 * {@link MemoryFault}; the fault is recorded all the same.
 */
export class MemoryClient {
  constructor(
    private readonly simulation: Simulation,
    private readonly actor = 'user',
  ) {}

  read(space: number, va: number, length: number, access: 'read' | 'execute' = 'read'): Uint8Array {
    const outcome = dispatchAccepted(
      this.simulation,
      read,
      { space, va, length, access },
      this.actor,
    );
    if (!outcome.ok) throw new MemoryFault(outcome.fault);
    return outcome.bytes;
  }

  write(space: number, va: number, data: Uint8Array): void {
    const outcome = dispatchAccepted(this.simulation, write, { space, va, data }, this.actor);
    if (!outcome.ok) throw new MemoryFault(outcome.fault);
  }

  readU8(space: number, va: number): number {
    return this.read(space, va, 1)[0]!;
  }
  readU16(space: number, va: number): number {
    return view(this.read(space, va, 2)).getUint16(0, true);
  }
  readU32(space: number, va: number): number {
    return view(this.read(space, va, 4)).getUint32(0, true);
  }
  readU64(space: number, va: number): bigint {
    return view(this.read(space, va, 8)).getBigUint64(0, true);
  }

  writeU8(space: number, va: number, value: number): void {
    this.write(space, va, Uint8Array.of(value));
  }
  writeU16(space: number, va: number, value: number): void {
    this.write(
      space,
      va,
      encode(2, (v) => v.setUint16(0, value, true)),
    );
  }
  writeU32(space: number, va: number, value: number): void {
    this.write(
      space,
      va,
      encode(4, (v) => v.setUint32(0, value, true)),
    );
  }
  writeU64(space: number, va: number, value: bigint | number): void {
    this.write(
      space,
      va,
      encode(8, (v) => v.setBigUint64(0, BigInt(value), true)),
    );
  }
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function encode(size: number, set: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  set(view(bytes));
  return bytes;
}
