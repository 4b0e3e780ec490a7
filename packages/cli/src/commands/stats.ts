import { EXIT } from '../cli-error';
import { openStoredRecords } from '../run-plugins';
import { output, table, type Output } from '../output';

/** `chronovisor stats <run.db | postgres://…#id>`: records by type, by actor, by plugin, and over time (ten slices of ticks). */
export function stats(
  file: string,
  options: { json?: boolean; verify?: boolean },
  out: Output = output,
): number {
  const store = openStoredRecords(file, { verify: options.verify ?? true });
  try {
    const byType: Record<string, number> = {};
    const byActor: Record<string, number> = {};
    const byPlugin: Record<string, number> = {};
    const ticks: number[] = [];
    for (const r of store.read(1)) {
      byType[r.type] = (byType[r.type] ?? 0) + 1;
      byActor[r.actor] = (byActor[r.actor] ?? 0) + 1;
      const plugin = r.type.split('.')[0]!;
      byPlugin[plugin] = (byPlugin[plugin] ?? 0) + 1;
      ticks.push(r.tick);
    }
    const last = ticks.at(-1) ?? 0;
    const width = Math.max(1, Math.ceil(last / 10));
    const overTime: { fromTick: number; toTick: number; records: number }[] = [];
    for (let from = 0; from <= last; from += width)
      overTime.push({ fromTick: from, toTick: from + width - 1, records: 0 });
    for (const t of ticks) overTime[Math.floor(t / width)]!.records++;
    if (options.json) {
      out.json({ records: ticks.length, byType, byActor, byPlugin, overTime });
      return EXIT.ok;
    }
    const rows = (counts: Record<string, number>) =>
      Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => [k, String(n)]);
    out.heading(`${ticks.length} records in ${file}`);
    out.line(table(['type', 'records'], rows(byType)));
    out.line(table(['actor', 'records'], rows(byActor)));
    out.line(table(['plugin', 'records'], rows(byPlugin)));
    out.line(
      table(
        ['ticks', 'records'],
        overTime.map((s) => [`${s.fromTick}–${s.toTick}`, String(s.records)]),
      ),
    );
    return EXIT.ok;
  } finally {
    store.close();
  }
}
