import type { FrameState, RunInfo } from '../../src/api';

/** Colours the page draws with, beyond the plugins' own (which /api/run gives). */
export const MARK_COLOURS = { violation: '#d93025', fault: '#f08c00' } as const;

export const BOOKMARK_COLOUR = '#1a56db';

/** A frame's or page's state; `lazy` (mapped, not loaded) is drawn lighter, as not there yet. */
export const STATE_COLOURS: Readonly<Record<FrameState, string>> = {
  free: '#e3e6eb',
  private: '#3b7dd8',
  shared: '#2f9e58',
  cow: '#9b51e0',
  lazy: '#b8d0f0',
};

export const STATE_LABELS: Readonly<Record<FrameState, string>> = {
  free: 'free',
  private: 'private',
  shared: 'shared',
  cow: 'copy-on-write',
  lazy: 'lazy (mapped, not loaded)',
};

const UNKNOWN_PLUGIN = '#8a919c';

/** Each plugin's colour by name; `kernel` and strangers get grey. */
export function pluginColours(run: RunInfo): (plugin: string) => string {
  const colours = new Map(run.plugins.map((p) => [p.name, p.colour]));
  return (plugin) => colours.get(plugin) ?? UNKNOWN_PLUGIN;
}
