import { payloadFormatter, type LogRecord, type Plugin } from '@chronovisor/core';
import type { Timeline } from '@chronovisor/timetravel';
import type { RecordView } from './api';

/** Colours the page draws plugins in, by their order in the set; the kernel's own (core.*) grey. */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#9c755f',
  '#ff9da7',
  '#86bcb6',
  '#d37295',
];
export const KERNEL = 'core';
const KERNEL_COLOUR = '#8a8a8a';

/** Payload bytes as hex digits in the API's JSON (the page shows memory in hex). */
export function jsonBytes(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value;
}

/**
 * How the page sees records: which plugin each type belongs to (by its prefix), its colour, its
 * mark, and its payload in one line, as the debugger prints it.
 */
export class RecordViews {
  /** Plugin names in the set's order, then the kernel's. */
  readonly plugins: readonly { name: string; colour: string }[];
  private readonly format: (type: string, payload: unknown) => string;
  private readonly prefixes: readonly string[];
  private readonly pluginByType = new Map<string, number>();

  constructor(
    plugins: readonly Plugin[],
    private readonly timeline: Timeline,
  ) {
    this.format = payloadFormatter(plugins);
    this.prefixes = plugins.map((p) => p.manifest.prefix);
    this.plugins = [
      ...this.prefixes.map((name, i) => ({ name, colour: PALETTE[i % PALETTE.length]! })),
      { name: KERNEL, colour: KERNEL_COLOUR },
    ];
  }

  /** The index in `plugins` of the plugin a type belongs to (the kernel's, if none). */
  pluginIndex(type: string): number {
    let index = this.pluginByType.get(type);
    if (index === undefined) {
      const found = this.prefixes.findIndex((prefix) => type.startsWith(`${prefix}.`));
      index = found < 0 ? this.prefixes.length : found;
      this.pluginByType.set(type, index);
    }
    return index;
  }

  /** A fault or a violation, as the type's event declaration says. */
  markOf(type: string): 'fault' | 'violation' | undefined {
    return this.timeline.eventTypes.declaration(type)?.marks;
  }

  view(record: LogRecord): RecordView {
    const payload = record.kind === 'event' ? record.data : record.args;
    const mark = record.kind === 'event' ? this.markOf(record.type) : undefined;
    return {
      seq: record.seq,
      kind: record.kind,
      type: record.type,
      actor: record.actor,
      tick: record.tick,
      cause: record.cause,
      plugin: this.plugins[this.pluginIndex(record.type)]!.name,
      ...(mark ? { mark } : {}),
      text: this.format(record.type, payload),
      // As recorded: the server's JSON writes its bytes as hex (jsonBytes).
      payload: payload ?? null,
      ...(record.kind === 'command' && record.rejection ? { rejection: record.rejection } : {}),
    };
  }
}
