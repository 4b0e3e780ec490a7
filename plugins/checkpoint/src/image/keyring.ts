import { CheckpointImageError } from './image-error';
import { KEY_BYTES, MAX_KEY_ID_BYTES } from './layout';

/** A key as a keyring is given it: an id (1..255 bytes of UTF-8) and 32 bytes of AES-256 key. */
export interface KeyringKey {
  readonly id: string;
  readonly key: Uint8Array;
}

/**
 * The owner's keys (US20080195740A1: state handed to an untrusted holder sealed, so that it can
 * neither read nor alter it): AES-256 keys by id, exactly one of them current, which seals. The
 * others open what they sealed. Retired ids are remembered, without their keys: an image sealed
 * under one is refused as replayed, since rotating the key is how the owner says that every
 * checkpoint before it is stale.
 *
 * Keys come from the caller (a simulation derives them from its seeded Rng), never from here.
 */
export class Keyring {
  private readonly keys = new Map<string, Uint8Array>();
  private readonly retiredIds = new Set<string>();
  private currentId: string;

  /**
   * @param keys the keys that open checkpoints, each id once
   * @param current the id of the one that seals: one of `keys`
   * @param retired ids retired by rotations before (a keyring recreated from what the owner
   *   kept): checkpoints sealed under them are refused
   */
  constructor(keys: readonly KeyringKey[], current: string, retired: readonly string[] = []) {
    for (const id of retired) {
      checkId(id);
      this.retiredIds.add(id);
    }
    for (const { id, key } of keys) {
      checkId(id);
      if (this.keys.has(id))
        throw new CheckpointImageError(`the keyring is given key ${JSON.stringify(id)} twice`);
      if (this.retiredIds.has(id))
        throw new CheckpointImageError(
          `the keyring is given key ${JSON.stringify(id)}, which it is also told is retired`,
        );
      this.keys.set(id, copyOfKey(id, key));
    }
    if (!this.keys.has(current))
      throw new CheckpointImageError(
        `the keyring's current key ${JSON.stringify(current)} is not one of the keys it is given`,
      );
    this.currentId = current;
  }

  /** The id of the key that seals. */
  get current(): string {
    return this.currentId;
  }

  /** The ids retired by rotation, in the order they were retired. */
  get retired(): readonly string[] {
    return [...this.retiredIds];
  }

  /**
   * Adds a new key and makes it current; the previous current becomes retired: a checkpoint it
   * sealed is refused from now on. An id the keyring holds or has retired is refused, so that a
   * retired id cannot come back.
   */
  rotate(id: string, key: Uint8Array): void {
    checkId(id);
    if (this.keys.has(id) || this.retiredIds.has(id))
      throw new CheckpointImageError(
        `cannot rotate to key ${JSON.stringify(id)}: the keyring ${this.keys.has(id) ? 'already holds' : 'has retired'} a key of that id, and ids are never reused`,
      );
    const copy = copyOfKey(id, key);
    this.keys.delete(this.currentId);
    this.retiredIds.add(this.currentId);
    this.keys.set(id, copy);
    this.currentId = id;
  }

  /** Whether a checkpoint sealed under `id` was sealed before a rotation retired it. */
  isRetired(id: string): boolean {
    return this.retiredIds.has(id);
  }

  /**
   * The key of `id`, for unsealing (a copy). Throws a CheckpointImageError for a retired id (a
   * replay of an old checkpoint) or one the keyring never held.
   */
  keyFor(id: string): Uint8Array {
    const key = this.keys.get(id);
    if (key) return new Uint8Array(key);
    if (this.retiredIds.has(id))
      throw new CheckpointImageError(
        `sealed under key ${JSON.stringify(id)}, retired by rotation: a replay of an old checkpoint`,
      );
    throw new CheckpointImageError(`the keyring holds no key ${JSON.stringify(id)}`);
  }
}

/** Refuses an id that the sealed layout cannot hold: empty, or more than 255 bytes of UTF-8. */
function checkId(id: string): void {
  const utf8 = typeof id === 'string' ? Buffer.from(id, 'utf8') : undefined;
  // A lone surrogate would come back from the file as U+FFFD: another id.
  if (!utf8 || utf8.length === 0 || utf8.length > MAX_KEY_ID_BYTES || utf8.toString('utf8') !== id)
    throw new CheckpointImageError(
      `key id ${JSON.stringify(id)} cannot be used: an id is 1..${MAX_KEY_ID_BYTES} bytes of UTF-8`,
    );
}

function copyOfKey(id: string, key: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES)
    throw new CheckpointImageError(
      `key ${JSON.stringify(id)} has ${key instanceof Uint8Array ? key.length : 'no'} bytes: an AES-256 key is ${KEY_BYTES}`,
    );
  return new Uint8Array(key);
}
