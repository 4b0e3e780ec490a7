import { ContainerModule, type Newable, type ContainerModuleLoadOptions } from 'inversify';
import { valid, validRange } from 'semver';
import { z } from 'zod';
import { CommandHandlers, Projection, Query, Reactor, SpaceState } from './contributions';
import type { CommandType, EventType } from './declarations';
import { InfoView, MemoryMap, MemoryReader, Panel, SummaryLines } from './tools';
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
  /** What every command and event type of the plugin starts with, e.g. `heap`. */
  readonly prefix: string;
}

/**
 * A plugin as the kernel loads it: a manifest, the command and event types it declares, and one
 * Inversify `ContainerModule` binding its contributions. Made by the factory {@link definePlugin}
 * returns; a plugin set is an array of these.
 */
export interface Plugin {
  readonly manifest: PluginManifest;
  readonly commands: readonly CommandType[];
  readonly events: readonly EventType[];
  readonly module: ContainerModule;
}

/** A plugin's options: the token they are bound to, and the schema they are checked against. */
export interface PluginOptions<S extends z.ZodType = z.ZodType> {
  readonly token: symbol;
  readonly schema: S;
}

/** Declares a plugin's options: `@inject(CounterOptions.token)` reads them, checked. */
export function defineOptions<S extends z.ZodType>(name: string, schema: S): PluginOptions<S> {
  return { token: Symbol.for(name), schema };
}

/** The options a plugin's services receive (after the schema's defaults and transforms). */
export type OptionsOf<O> = O extends PluginOptions<infer S> ? z.output<S> : never;

/** What {@link definePlugin} takes: the package's own facts, then the plugin's parts, as data. */
export interface PluginDefinition<O extends PluginOptions | undefined = undefined> {
  /** The package's package.json (or its name, version and description). */
  readonly package: {
    readonly name: string;
    readonly version: string;
    readonly description?: string;
  };
  /** Default: the package name without its scope and a `plugin-` or `example-` prefix. */
  readonly prefix?: string;
  /** Other plugins it needs: `{ '@chronovisor/mmu': '^1' }`. */
  readonly requires?: Readonly<Record<string, string>>;
  readonly options?: O;
  /** Command types the plugin declares; each needs a handler among `handlers`. */
  readonly commands?: readonly CommandType[];
  /** Event types the plugin emits. */
  readonly events?: readonly EventType[];
  readonly projections?: readonly Newable<Projection>[];
  readonly handlers?: readonly Newable<CommandHandlers>[];
  readonly reactors?: readonly Newable<Reactor>[];
  readonly queries?: readonly Newable<Query>[];
  /** What it keeps about a space that travels with the space's process (checkpoint/restore). */
  readonly spaceState?: readonly Newable<SpaceState>[];
  /**
   * What the plugin shows in the tools: `info` views, summary lines, a reader of memory, the web
   * page's panels and memory map.
   */
  readonly tools?: {
    readonly views?: readonly Newable<InfoView>[];
    readonly summaries?: readonly Newable<SummaryLines>[];
    readonly memory?: readonly Newable<MemoryReader>[];
    readonly panels?: readonly Newable<Panel>[];
    readonly memoryMap?: readonly Newable<MemoryMap>[];
  };
  /** Other classes the plugin's parts inject (bound to themselves, one instance each). */
  readonly services?: readonly Newable<unknown>[];
  /** For what the lists cannot say: constants, factories. Runs after the lists are bound. */
  readonly bind?: (options: ContainerModuleLoadOptions) => void;
}

/**
 * Makes a plugin, `(options) => Plugin`, from one definition: the manifest from package.json, the
 * module from the lists (each class bound once, to itself, in singleton scope, and to the token
 * of each list it is in). Export it as the package's default export, which is what
 * `chronovisor run --config` loads.
 */
export type PluginFactory<O extends PluginOptions | undefined> = ((
  options?: O extends PluginOptions<infer S> ? z.input<S> : undefined,
) => Plugin) & { readonly manifest: PluginManifest };

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
  prefix: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lowercase letters, digits and -'),
});

/** The options of a plugin that takes none: an empty object. */
const NO_OPTIONS = z.strictObject({});

/** See {@link PluginFactory}. */
export function definePlugin<O extends PluginOptions | undefined = undefined>(
  definition: PluginDefinition<O>,
): PluginFactory<O> {
  const { name, version, description } = definition.package;
  const manifest: PluginManifest = parserFor(
    manifestSchema,
    `manifest of plugin ${typeof name === 'string' ? `"${name}"` : '(unnamed)'}`,
    'manifest',
  )({
    name,
    version,
    ...(description === undefined ? {} : { description }),
    ...(definition.requires ? { requires: definition.requires } : {}),
    prefix: definition.prefix ?? defaultPrefix(String(name)),
  });
  // A plugin without options still checks what it is given: a typo must not pass for a default.
  const parseOptions = parserFor(
    definition.options?.schema ?? NO_OPTIONS,
    `options of plugin "${manifest.name}"`,
    'options',
  );

  const factory = (options?: unknown): Plugin => {
    const parsed = parseOptions(options ?? {});
    return {
      manifest,
      commands: definition.commands ?? [],
      events: definition.events ?? [],
      module: new ContainerModule((bindings) => {
        if (definition.options) bindings.bind(definition.options.token).toConstantValue(parsed);
        bindParts(bindings, definition);
        definition.bind?.(bindings);
      }),
    };
  };
  const plugin: PluginFactory<O> = Object.assign(factory, { manifest });
  return plugin;
}

function bindParts(
  { bind }: ContainerModuleLoadOptions,
  definition: PluginDefinition<PluginOptions | undefined>,
): void {
  const bound = new Set<Newable<unknown>>();
  const bindSelf = (part: Newable<unknown>): void => {
    if (bound.has(part)) return;
    bound.add(part);
    bind(part).toSelf().inSingletonScope();
  };
  for (const service of definition.services ?? []) bindSelf(service);
  const lists: [symbol, readonly Newable<unknown>[] | undefined][] = [
    [Projection, definition.projections],
    [CommandHandlers, definition.handlers],
    [Reactor, definition.reactors],
    [Query, definition.queries],
    [SpaceState, definition.spaceState],
    [InfoView, definition.tools?.views],
    [SummaryLines, definition.tools?.summaries],
    [MemoryReader, definition.tools?.memory],
    [Panel, definition.tools?.panels],
    [MemoryMap, definition.tools?.memoryMap],
  ];
  for (const [token, parts] of lists) {
    for (const part of parts ?? []) {
      bindSelf(part);
      bind(token).toService(part);
    }
  }
}

/** `@chronovisor/plugin-heap` → `heap`, `@chronovisor/mmu` → `mmu`. */
function defaultPrefix(name: string): string {
  return name.replace(/^@[^/]+\//, '').replace(/^(plugin|example)-/, '');
}
