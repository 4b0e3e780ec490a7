import type { Projection } from './contributions';
import { sha256Hex } from './digest';

/**
 * The simulation's state digest: SHA-256 over each projection's name and digest, sorted by name,
 * so it does not depend on plugin load order. Two runs in the same state have the same digest,
 * whatever path they took there.
 */
export function stateDigest(projections: readonly Projection[]): string {
  return combineDigests(Object.fromEntries(projections.map((p) => [p.name, p.digest()])));
}

/** The state digest from each projection's digest, by name. */
export function combineDigests(byProjection: Readonly<Record<string, string>>): string {
  const lines = Object.entries(byProjection)
    .map(([name, digest]) => `${name}=${digest}\n`)
    .sort();
  return sha256Hex(`chronovisor-state-v1\n${lines.join('')}`);
}
