import type { ContainerModule } from 'inversify';
import { valid, validRange } from 'semver';
import { z } from 'zod';
import type { EventTypeDefinition } from './event-type-registry';
import { parserFor } from './validation';

/** Who a plugin is and what it needs. */
export interface PluginManifest {
  /** The npm package name, e.g. `@chronovisor/plugin-heap`. */
  readonly name: string;
  /** A semver version. */
  readonly version: string;
  /** One sentence for `chronovisor plugins`. */
  readonly description?: string;
  /** Other plugins it needs, by name, with semver ranges: `{ "@chronovisor/mmu": "^1" }`. */
  readonly requires?: Readonly<Record<string, string>>;
}

/**
 * A plugin: a manifest, the event types it emits, and one Inversify `ContainerModule` that binds
 * its contributions to the shared tokens ({@link CommandHandler}, {@link Projection},
 * {@link Reactor}, {@link Query}). A plugin set is an array of these.
 */
export interface Plugin {
  readonly manifest: PluginManifest;
  readonly events?: readonly EventTypeDefinition[];
  readonly module: ContainerModule;
}

const manifestSchema = z.object({
  name: z
    .string()
    .regex(/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/, 'must be an npm package name'),
  version: z.string().refine((v) => valid(v) !== null, 'must be a semver version such as 1.0.0'),
  description: z.string().optional(),
  requires: z
    .record(
      z.string(),
      z
        .string()
        .refine((range) => validRange(range) !== null, 'must be a semver range such as ^1.0.0'),
    )
    .optional(),
});

/** Checks a plugin's manifest and returns the plugin; the one way plugins are made. */
export function definePlugin(plugin: Plugin): Plugin {
  const name =
    typeof plugin.manifest?.name === 'string' ? `"${plugin.manifest.name}"` : '(unnamed)';
  parserFor(manifestSchema, `manifest of plugin ${name}`, 'manifest')(plugin.manifest);
  return plugin;
}
