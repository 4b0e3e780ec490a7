import { StoreError } from '@chronovisor/core';
import { StoreThread } from '@chronovisor/store';
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { redactUrl } from './connection';
import type { PgOpen, PgReply, PgRequest } from './pg-thread';

/** How long a store waits on its connection before it calls the server lost. */
const STALL_MS = 120_000;

/** The answer counters of the channels open on the thread: woken if it is lost. */
const open = new Set<Int32Array>();

/** The process's PostgreSQL thread, shared by its stores, started by the first and kept. */
const pgThread = new StoreThread(
  path.join(__dirname, 'pg-thread'),
  path.join(__dirname, '..', 'tsconfig.json'),
  () => {
    for (const replies of open) {
      Atomics.store(replies, LOST, 1);
      Atomics.notify(replies, ANSWERED);
    }
  },
);

// A channel's shared counters: answers sent, and 1 once the thread is lost.
const ANSWERED = 0;
const LOST = 1;

/**
 * A store's connection to a PostgreSQL server, made synchronous: requests go to the PostgreSQL
 * thread in order, and `next()` blocks (Atomics.wait) until the oldest is answered. Requests may
 * be pipelined (`submit`) and their answers taken later, as a recording's batches are.
 */
export class PgChannel {
  private readonly port: MessagePort;
  private readonly replies = new Int32Array(new SharedArrayBuffer(8));
  private submitted = 0;
  private taken = 0;
  private closed = false;

  private constructor(private readonly url: string) {
    const worker = pgThread.join();
    if (!worker) throw new StoreError('The PostgreSQL thread could not be started');
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ port: port2, replies: this.replies, url } satisfies PgOpen, [port2]);
    this.port = port1;
    open.add(this.replies);
  }

  /** A connection to the server at `url`, its schema brought up to date. */
  static open(url: string): PgChannel {
    const channel = new PgChannel(url);
    try {
      channel.call({ op: 'migrate' });
    } catch (error) {
      channel.abandon();
      throw error;
    }
    return channel;
  }

  /** Requests submitted and not yet answered and taken. */
  get inFlight(): number {
    return this.submitted - this.taken;
  }

  /** Queues a request; its answer is taken, in order, by `next`. */
  submit(request: PgRequest, transfer: ArrayBuffer[] = []): void {
    if (this.closed) throw new StoreError(`The connection to ${redactUrl(this.url)} is closed`);
    this.submitted++;
    this.port.postMessage(request, transfer);
  }

  /** The rows of the oldest request not yet taken, waiting for it; its failure as a StoreError. */
  next(): readonly Record<string, unknown>[] {
    if (this.taken === this.submitted) throw new StoreError('No request is waiting for an answer');
    const target = ++this.taken;
    for (
      let seen = Atomics.load(this.replies, ANSWERED);
      seen < target;
      seen = Atomics.load(this.replies, ANSWERED)
    ) {
      if (Atomics.load(this.replies, LOST) === 1)
        throw new StoreError(
          `The PostgreSQL thread was lost: ${redactUrl(this.url)} cannot answer`,
        );
      if (Atomics.wait(this.replies, ANSWERED, seen, STALL_MS) === 'timed-out')
        throw new StoreError(`${redactUrl(this.url)} has not answered for ${STALL_MS / 1000} s`);
    }
    const reply = receiveMessageOnPort(this.port)?.message as PgReply | undefined;
    if (!reply) throw new StoreError('The PostgreSQL thread counted an answer it did not send');
    if ('error' in reply) throw new StoreError(`${redactUrl(this.url)}: ${redactUrl(reply.error)}`);
    return reply.rows;
  }

  /** Submits a request and waits for its answer (and every answer before it). */
  call(request: PgRequest): readonly Record<string, unknown>[] {
    this.submit(request);
    let rows: readonly Record<string, unknown>[] = [];
    while (this.inFlight > 0) rows = this.next();
    return rows;
  }

  /** A query's rows, waiting for them. */
  query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): T[] {
    return this.call({ op: 'query', sql, params }) as T[];
  }

  /** Lets the connection go without waiting (it failed). */
  abandon(): void {
    this.closed = true;
    open.delete(this.replies);
    this.port.close();
  }

  /** Waits for what is in flight, then closes the connection. */
  close(): void {
    if (this.closed) return;
    try {
      this.call({ op: 'close' });
    } finally {
      this.closed = true;
      open.delete(this.replies);
      this.port.close();
    }
  }
}
