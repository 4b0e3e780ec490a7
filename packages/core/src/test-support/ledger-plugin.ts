import { ContainerModule, inject, injectable } from 'inversify';
import {
  CommandHandler,
  Projection,
  Reactor,
  type CommandContext,
  type ReactorContext,
} from '../contributions';
import { digestOf } from '../digest';
import { definePlugin, type Plugin } from '../plugin';
import type { EventRecord } from '../record';
import { Rng } from '../rng';

/**
 * A small plugin for the kernel's own tests: account balances, with commands built to fail in
 * each of the ways the kernel must survive.
 */
export interface Posting {
  readonly account: string;
  readonly amount: number;
}

@injectable()
export class Balances implements Projection<ReadonlyMap<string, number>> {
  readonly name = 'ledger';
  readonly eventTypes = ['ledger.account.posted'];
  values = new Map<string, number>();

  apply(event: EventRecord): void {
    const { account, amount } = event.data as Posting;
    // A projection that throws stands for a bug in plugin code; the kernel must undo around it.
    if (account === 'poison') throw new Error('poisoned posting');
    this.values.set(account, (this.values.get(account) ?? 0) + amount);
  }

  snapshot(): ReadonlyMap<string, number> {
    return new Map(this.values);
  }

  restore(snapshot: ReadonlyMap<string, number>): void {
    this.values = new Map(snapshot);
  }

  digest(): string {
    return digestOf([...this.values].sort());
  }
}

type Args = { postings: Posting[]; thenThrow?: boolean; draws?: number };

function handler(
  type: string,
  execute: (args: Args, context: CommandContext, rng: Rng) => unknown,
) {
  @injectable()
  class Handler implements CommandHandler<Args> {
    readonly type = type;
    constructor(@inject(Rng) private readonly rng: Rng) {}
    parse(args: unknown): Args {
      return args as Args;
    }
    execute(args: Args, context: CommandContext): unknown {
      return execute(args, context, this.rng);
    }
  }
  return Handler;
}

/** Posts every posting, draws `draws` random numbers, then throws if asked to; returns the count. */
const Post = handler('ledger.post', (args, context, rng) => {
  for (let i = 0; i < (args.draws ?? 0); i++) rng.nextUint32();
  for (const posting of args.postings) context.emit('ledger.account.posted', posting);
  if (args.thenThrow) throw new Error('handler failed after emitting');
  return args.postings.length > 0 ? args.postings.length : undefined;
});

type TransferArgs = { from: string; to: string; amount: number; swallow?: boolean };

/**
 * Moves `amount` between accounts through two `ledger.post` sub-commands, emitting its own event
 * between them; with `swallow`, catches a refused sub-command and carries on (which must not help).
 */
const Transfer = handler('ledger.transfer', (raw, context) => {
  const args = raw as unknown as TransferArgs;
  context.call('ledger.post', { postings: [{ account: args.from, amount: -args.amount }] });
  context.emit('ledger.account.posted', { account: 'transfers', amount: 1 });
  try {
    context.call('ledger.post', { postings: [{ account: args.to, amount: args.amount }] });
  } catch (error) {
    if (!args.swallow) throw error;
  }
  return 'moved';
});

/** Emits an event type nobody declared. */
const EmitUndeclared = handler('ledger.undeclared', (_args, context) => {
  context.emit('ledger.nothing.happened', {});
});

/** Posts 1 to `echo` for every posting to `source`; throws for account `boom`. */
@injectable()
class Echo implements Reactor {
  readonly actor = 'plugin:ledger';
  readonly eventTypes = ['ledger.account.posted'];
  react(event: EventRecord, context: ReactorContext): void {
    const { account } = event.data as Posting;
    if (account === 'boom') {
      context.dispatch('ledger.post', { postings: [{ account: 'never', amount: 1 }] });
      throw new Error('reactor failed');
    }
    if (account === 'source')
      context.dispatch('ledger.post', { postings: [{ account: 'echo', amount: 1 }] });
  }
}

export function ledgerPlugin(): Plugin {
  return definePlugin({
    manifest: { name: '@test/ledger', version: '1.0.0' },
    events: [{ type: 'ledger.account.posted' }],
    module: new ContainerModule(({ bind }) => {
      bind(Balances).toSelf().inSingletonScope();
      bind(Projection).toService(Balances);
      for (const h of [Post, Transfer, EmitUndeclared]) {
        bind(h).toSelf().inSingletonScope();
        bind(CommandHandler).toService(h);
      }
      bind(Echo).toSelf().inSingletonScope();
      bind(Reactor).toService(Echo);
    }),
  });
}
