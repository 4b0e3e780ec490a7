import { inject } from 'inversify';
import { z } from 'zod';
import {
  handle,
  on,
  react,
  type CommandHandlers,
  type Projection,
  type Reactor,
} from '../contributions';
import { defineCommand, defineEvent, returns } from '../declarations';
import { digestOf } from '../digest';
import { definePlugin } from '../plugin';
import { Rng } from '../rng';

/**
 * A small plugin for the kernel's own tests: account balances, with commands built to fail in
 * each of the ways the kernel must survive.
 */
const posting = z.object({ account: z.string(), amount: z.number() });
export type Posting = z.infer<typeof posting>;

export const posted = defineEvent('ledger.account.posted', { data: posting });
/** Declared by the ledger but handled by nobody: emitting it outside a set that declares it fails. */
export const nothingHappened = defineEvent('ledger.nothing.happened', { data: z.object({}) });

/** Posts every posting, draws `draws` random numbers, then throws if asked to; returns the count. */
export const post = defineCommand('ledger.post', {
  args: z.object({
    postings: z.array(posting),
    thenThrow: z.boolean().optional(),
    draws: z.number().int().min(0).optional(),
  }),
  returns: returns<number | undefined>(),
});

/**
 * Moves `amount` between accounts through two `ledger.post` calls, emitting its own event
 * between them; with `swallow`, catches a refused call and carries on (which must not help).
 */
export const transfer = defineCommand('ledger.transfer', {
  args: z.object({
    from: z.string(),
    to: z.string(),
    amount: z.number(),
    swallow: z.boolean().optional(),
  }),
  returns: returns<string>(),
});

/** Emits an event type no plugin in a ledger-only set declares. */
export const emitUndeclared = defineCommand('ledger.undeclared', { args: z.object({}) });

export class Balances implements Projection<ReadonlyMap<string, number>> {
  readonly name = 'ledger';
  values = new Map<string, number>();

  readonly listeners = [
    on(posted, ({ data: { account, amount } }) => {
      // A projection that throws stands for a bug in plugin code; the kernel must undo around it.
      if (account === 'poison') throw new Error('poisoned posting');
      this.values.set(account, (this.values.get(account) ?? 0) + amount);
    }),
  ];

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

export class LedgerCommands implements CommandHandlers {
  constructor(@inject(Rng) private readonly rng: Rng) {}

  readonly handlers = [
    handle(post, (args, context) => {
      for (let i = 0; i < (args.draws ?? 0); i++) this.rng.nextUint32();
      for (const p of args.postings) context.emit(posted, p);
      if (args.thenThrow) throw new Error('handler failed after emitting');
      return args.postings.length > 0 ? args.postings.length : undefined;
    }),
    handle(transfer, (args, context) => {
      context.call(post, { postings: [{ account: args.from, amount: -args.amount }] });
      context.emit(posted, { account: 'transfers', amount: 1 });
      try {
        context.call(post, { postings: [{ account: args.to, amount: args.amount }] });
      } catch (error) {
        if (!args.swallow) throw error;
      }
      return 'moved';
    }),
    handle(emitUndeclared, (_args, context) => {
      context.emit(undeclared, {});
    }),
  ];
}

/** An event type declared by no plugin. */
const undeclared = defineEvent('ledger.never.declared', { data: z.object({}) });

/** Posts 1 to `echo` for every posting to `source`; throws for account `boom`. */
export class Echo implements Reactor {
  readonly actor = 'plugin:ledger';
  readonly reactions = [
    react(posted, ({ data: { account } }, context) => {
      if (account === 'boom') {
        context.dispatch(post, { postings: [{ account: 'never', amount: 1 }] });
        throw new Error('reactor failed');
      }
      if (account === 'source')
        context.dispatch(post, { postings: [{ account: 'echo', amount: 1 }] });
      if (account === 'refuse')
        context.dispatch(post, { postings: [{ account: 'echo', amount: 1 }], thenThrow: true });
    }),
  ];
}

export const ledgerPlugin = definePlugin({
  package: { name: '@test/ledger', version: '1.0.0' },
  commands: [post, transfer, emitUndeclared],
  events: [posted, nothingHappened],
  projections: [Balances],
  handlers: [LedgerCommands],
  reactors: [Echo],
});
