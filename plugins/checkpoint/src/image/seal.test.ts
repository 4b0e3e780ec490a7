import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  CheckpointImageError,
  Keyring,
  encodeCheckpoint,
  isSealed,
  sealCheckpoint,
  unsealCheckpoint,
  type CheckpointImage,
} from './index';
import { checkpointImageArb } from './test-support/arbitraries';
import {
  GOLDEN_NONCE,
  GOLDEN_SEALED_FILE,
  goldenImage,
  goldenKeyring,
} from './test-support/golden-image';

/** The CheckpointImageError `run` throws (failing the test if it throws anything else, or nothing). */
function errorOf(run: () => unknown): CheckpointImageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointImageError);
    return error as CheckpointImageError;
  }
  throw new Error('expected a CheckpointImageError, but nothing was thrown');
}

const messageOf = (run: () => unknown): string => errorOf(run).message;

/** 32 bytes of key, each `seed` plus its offset. */
const keyOf = (seed: number) => Uint8Array.from({ length: 32 }, (_, i) => (seed + i) & 0xff);
const nonceOf = (seed: number) => Uint8Array.from({ length: 12 }, (_, i) => (seed * 7 + i) & 0xff);
const ring = (id = 'k1', seed = 1) => new Keyring([{ id, key: keyOf(seed) }], id);

const SECRET_NAME = 'tree-of-Ada-Lovelace';
/** A frame no ciphertext should show: text, repeated. */
const SECRET_FRAME = new TextEncoder().encode('distinctive frame bytes! '.repeat(21).slice(0, 512));

/** The golden tree, renamed, its first frame made recognizable. */
function secretImage(): CheckpointImage {
  const image = goldenImage();
  return { ...image, name: SECRET_NAME, frames: [SECRET_FRAME, ...image.frames.slice(1)] };
}

/** Where a sealed checkpoint's parts are, read as FORMAT.md lays them out. */
function sealedLayout(sealed: Uint8Array) {
  const view = new DataView(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const idLength = view.getUint8(12);
  const nonceAt = 13 + idLength;
  const lengthAt = nonceAt + 12;
  const ciphertextAt = lengthAt + 4;
  const length = view.getUint32(lengthAt, true);
  return { idLength, nonceAt, lengthAt, ciphertextAt, length, tagAt: ciphertextAt + length };
}

describe('sealed checkpoints', () => {
  it('open with the keyring that sealed them, to the same image', () => {
    const keyring = ring();
    for (const image of [goldenImage(), secretImage()]) {
      const sealed = sealCheckpoint(image, keyring, nonceOf(1));
      expect(isSealed(sealed)).toBe(true);
      expect(unsealCheckpoint(sealed, keyring, 'tree.sealed')).toEqual(image);
    }
  });

  it('are the same bytes for the same image, key and nonce, and others for another nonce or key', () => {
    const a = sealCheckpoint(goldenImage(), ring(), nonceOf(1));
    expect(sealCheckpoint(goldenImage(), ring(), nonceOf(1))).toEqual(a);
    expect(Buffer.from(sealCheckpoint(goldenImage(), ring(), nonceOf(2))).equals(a)).toBe(false);
    expect(Buffer.from(sealCheckpoint(goldenImage(), ring('k1', 2), nonceOf(1))).equals(a)).toBe(
      false,
    );
  });

  it('are laid out as FORMAT.md says: the plain image under AES-256-GCM, its header authenticated', () => {
    const image = goldenImage();
    const sealed = sealCheckpoint(image, ring('key-α'), nonceOf(3));
    const at = sealedLayout(sealed);
    const view = new DataView(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    expect(Buffer.from(sealed.subarray(0, 8)).toString('latin1')).toBe('CVSEAL\0\0');
    expect(view.getUint32(8, true)).toBe(1);
    expect(Buffer.from(sealed.subarray(13, at.nonceAt)).toString('utf8')).toBe('key-α');
    expect(at.idLength).toBe(Buffer.byteLength('key-α'));
    expect(sealed.subarray(at.nonceAt, at.lengthAt)).toEqual(nonceOf(3));
    const plain = encodeCheckpoint(image);
    expect(at.length).toBe(plain.length);
    expect(at.tagAt + 16).toBe(sealed.length);
    const decipher = createDecipheriv('aes-256-gcm', keyOf(1), nonceOf(3));
    decipher.setAAD(sealed.subarray(0, at.ciphertextAt));
    decipher.setAuthTag(sealed.subarray(at.tagAt));
    const opened = Buffer.concat([
      decipher.update(sealed.subarray(at.ciphertextAt, at.tagAt)),
      decipher.final(),
    ]);
    expect(opened.equals(plain)).toBe(true);
  });

  it('cannot be read by their holder: neither the name nor a frame shows', () => {
    const sealed = Buffer.from(sealCheckpoint(secretImage(), ring(), nonceOf(1)));
    const plain = Buffer.from(encodeCheckpoint(secretImage()));
    // What is looked for is in the plain image, and not in the sealed one.
    const name = Buffer.from(SECRET_NAME);
    const frame = Buffer.from(SECRET_FRAME.subarray(0, 24));
    const pipe = Buffer.from('"aGVsbG8K"');
    for (const secret of [name, frame, pipe]) {
      expect(plain.includes(secret)).toBe(true);
      expect(sealed.includes(secret)).toBe(false);
    }
    expect(sealed.includes(Buffer.from('CVCKPT'))).toBe(false);
  });

  describe('the golden sealed file', () => {
    // If this fails, the sealed format (or the plain one inside it) changed. Do not regenerate the
    // fixture: make the change a new format version, and keep reading version 1.
    const golden = new Uint8Array(readFileSync(GOLDEN_SEALED_FILE));

    it('is what sealing writes today, byte for byte, and opens to the golden image', () => {
      expect(golden.length).toBeLessThan(3072);
      expect(
        Buffer.from(sealCheckpoint(goldenImage(), goldenKeyring(), GOLDEN_NONCE)).equals(golden),
      ).toBe(true);
      expect(unsealCheckpoint(golden, goldenKeyring(), 'golden-v1.sealed')).toEqual(goldenImage());
    });

    it('is refused wherever any one byte of it is changed', () => {
      const keyring = goldenKeyring();
      for (const mask of [0x01, 0xff]) {
        for (let at = 0; at < golden.length; at++) {
          const damaged = golden.slice();
          damaged[at]! ^= mask;
          expect(messageOf(() => unsealCheckpoint(damaged, keyring, 'golden-v1.sealed'))).toContain(
            'golden-v1.sealed',
          );
        }
      }
    });

    it('is refused cut short at any length', () => {
      const keyring = goldenKeyring();
      for (let length = 0; length < golden.length; length++)
        expect(
          messageOf(() => unsealCheckpoint(golden.subarray(0, length), keyring, 'g.sealed')),
        ).toMatch(/^g\.sealed is truncated in /);
    });
  });

  describe('after a rotation', () => {
    it('refuse what the retired key sealed, as a replay, and open what the new one seals', () => {
      const keyring = ring('k1', 1);
      const old = sealCheckpoint(goldenImage(), keyring, nonceOf(1));
      expect(unsealCheckpoint(old, keyring, 'old.sealed')).toEqual(goldenImage());

      keyring.rotate('k2', keyOf(2));
      expect(keyring.current).toBe('k2');
      expect(keyring.retired).toEqual(['k1']);
      expect(keyring.isRetired('k1')).toBe(true);
      expect(messageOf(() => unsealCheckpoint(old, keyring, 'old.sealed'))).toBe(
        'old.sealed was sealed under key "k1", retired by rotation: a replay of an old checkpoint',
      );
      expect(messageOf(() => keyring.keyFor('k1'))).toBe(
        'sealed under key "k1", retired by rotation: a replay of an old checkpoint',
      );
      const fresh = sealCheckpoint(goldenImage(), keyring, nonceOf(1));
      expect(unsealCheckpoint(fresh, keyring, 'new.sealed')).toEqual(goldenImage());

      // A keyring recreated from what the owner kept refuses the old one too.
      const recreated = new Keyring([{ id: 'k2', key: keyOf(2) }], 'k2', ['k1']);
      expect(unsealCheckpoint(fresh, recreated, 'new.sealed')).toEqual(goldenImage());
      expect(messageOf(() => unsealCheckpoint(old, recreated, 'old.sealed'))).toContain(
        'retired by rotation: a replay of an old checkpoint',
      );
    });

    it('never take back an id the keyring holds or has retired', () => {
      const keyring = ring('k1', 1);
      keyring.rotate('k2', keyOf(2));
      expect(messageOf(() => keyring.rotate('k1', keyOf(1)))).toBe(
        'cannot rotate to key "k1": the keyring has retired a key of that id, and ids are never reused',
      );
      expect(messageOf(() => keyring.rotate('k2', keyOf(3)))).toBe(
        'cannot rotate to key "k2": the keyring already holds a key of that id, and ids are never reused',
      );
      expect(keyring.current).toBe('k2');
    });

    it('keep opening with keys the keyring holds that are not current', () => {
      const both = new Keyring(
        [
          { id: 'a', key: keyOf(1) },
          { id: 'b', key: keyOf(2) },
        ],
        'b',
      );
      const byA = sealCheckpoint(goldenImage(), ring('a', 1), nonceOf(1));
      expect(unsealCheckpoint(byA, both, 'a.sealed')).toEqual(goldenImage());
      both.rotate('c', keyOf(3));
      // Only the current one, b, was retired by the rotation.
      expect(unsealCheckpoint(byA, both, 'a.sealed')).toEqual(goldenImage());
      expect(both.retired).toEqual(['b']);
    });
  });

  describe('are refused, saying why and naming the file', () => {
    const sealed = sealCheckpoint(goldenImage(), ring('k1', 1), nonceOf(1));
    const at = sealedLayout(sealed);
    const unseal = (bytes: Uint8Array, keyring = ring('k1', 1)) =>
      messageOf(() => unsealCheckpoint(bytes, keyring, 's.sealed'));

    it('sealed with another key under the same id, or altered', () => {
      expect(unseal(sealed, ring('k1', 9))).toBe(
        's.sealed fails authentication: it was altered, or sealed with another key under the same id',
      );
      const altered = sealed.slice();
      altered[at.ciphertextAt + 40]! ^= 0x04;
      expect(unseal(altered)).toBe(
        's.sealed fails authentication: it was altered, or sealed with another key under the same id',
      );
      // The nonce is authenticated, as is the header.
      const nonce = sealed.slice();
      nonce[at.nonceAt]! ^= 1;
      expect(unseal(nonce)).toContain('fails authentication');
      const tag = sealed.slice();
      tag[sealed.length - 1]! ^= 1;
      expect(unseal(tag)).toContain('fails authentication');
    });

    it('under a key the keyring does not hold', () => {
      expect(unseal(sealed, ring('k7', 1))).toBe(
        's.sealed was sealed under key "k1", which the keyring does not hold',
      );
      expect(messageOf(() => ring('k7').keyFor('k1'))).toBe('the keyring holds no key "k1"');
      // An id changed in the file names another key: refused before any decryption.
      const renamed = sealed.slice();
      renamed[13 + 1] = '2'.charCodeAt(0);
      expect(unseal(renamed, new Keyring([{ id: 'k2', key: keyOf(1) }], 'k2'))).toContain(
        'fails authentication',
      );
      const notUtf8 = sealed.slice();
      notUtf8[13] = 0xff;
      expect(unseal(notUtf8)).toBe(
        's.sealed names its key in bytes that are not UTF-8 (at byte 13)',
      );
      const noId = sealed.slice();
      noId[12] = 0;
      expect(unseal(noId)).toBe('s.sealed names no key: its key id length is 0 (at byte 12)');
    });

    it('truncated, in whichever part it ends', () => {
      const cut = (length: number) => unseal(sealed.subarray(0, length));
      expect(cut(0)).toBe(
        's.sealed is truncated in its header (at byte 0): expected 13 bytes, found 0',
      );
      expect(cut(14)).toBe(
        's.sealed is truncated in its key id (at byte 13): expected 2 bytes, found 1',
      );
      expect(cut(20)).toBe(
        's.sealed is truncated in its nonce (at byte 15): expected 12 bytes, found 5',
      );
      expect(cut(28)).toBe(
        's.sealed is truncated in its header (the ciphertext length, at byte 27): expected 4 bytes, found 1',
      );
      expect(cut(at.ciphertextAt + 10)).toBe(
        `s.sealed is truncated in its ciphertext (at byte ${at.ciphertextAt}): expected ${at.length} bytes, found 10`,
      );
      expect(cut(sealed.length - 1)).toBe(
        `s.sealed is truncated in its GCM tag (at byte ${at.tagAt}): expected 16 bytes, found 15`,
      );
    });

    it('with bytes after its tag', () => {
      const longer = new Uint8Array(sealed.length + 3);
      longer.set(sealed);
      expect(unseal(longer)).toBe(
        `s.sealed has 3 bytes after its GCM tag (at byte ${sealed.length}): the file should end there`,
      );
    });

    it('that are plain, or no checkpoint, or in a newer format', () => {
      expect(unseal(encodeCheckpoint(goldenImage()))).toBe(
        's.sealed is a plain checkpoint, not a sealed one: its holder could read and alter it',
      );
      expect(unseal(new TextEncoder().encode('#!/bin/sh\n'))).toBe(
        's.sealed is not a sealed Chronovisor checkpoint: it starts with 0x23212f62696e2f73, not the magic "CVSEAL\\0\\0"',
      );
      const newer = sealed.slice();
      newer[8] = 2;
      expect(unseal(newer)).toBe(
        's.sealed is in sealed format 2, written by a newer Chronovisor: this one reads format 1 only',
      );
      newer[8] = 0;
      expect(unseal(newer)).toBe(
        's.sealed has an unknown sealed format 0 (at byte 8): this Chronovisor reads format 1 only',
      );
    });
  });

  describe('on random images', () => {
    it('round trip, and are refused with any one byte changed', () => {
      const keyring = ring('owner', 5);
      fc.assert(
        fc.property(
          checkpointImageArb,
          fc.uint8Array({ minLength: 12, maxLength: 12 }),
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          (image, nonce, n, mask) => {
            const sealed = sealCheckpoint(image, keyring, nonce);
            expect(unsealCheckpoint(sealed, keyring, 'r.sealed')).toEqual(image);
            sealed[n % sealed.length]! ^= mask;
            expect(messageOf(() => unsealCheckpoint(sealed, keyring, 'r.sealed'))).toMatch(
              /^r\.sealed /,
            );
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});

describe('keyrings', () => {
  it('refuse keys that are not AES-256 keys, and ids the sealed layout cannot hold', () => {
    expect(messageOf(() => new Keyring([{ id: 'k', key: new Uint8Array(16) }], 'k'))).toBe(
      'key "k" has 16 bytes: an AES-256 key is 32',
    );
    expect(messageOf(() => new Keyring([{ id: '', key: keyOf(1) }], ''))).toBe(
      'key id "" cannot be used: an id is 1..255 bytes of UTF-8',
    );
    expect(messageOf(() => new Keyring([{ id: 'é'.repeat(128), key: keyOf(1) }], 'x'))).toContain(
      'cannot be used: an id is 1..255 bytes of UTF-8',
    );
    expect(messageOf(() => new Keyring([{ id: '\ud800', key: keyOf(1) }], '\ud800'))).toContain(
      'cannot be used',
    );
    expect(messageOf(() => ring().rotate('k2', new Uint8Array(31)))).toBe(
      'key "k2" has 31 bytes: an AES-256 key is 32',
    );
  });

  it('refuse a current key they do not hold, an id twice, and an id both held and retired', () => {
    expect(messageOf(() => new Keyring([{ id: 'a', key: keyOf(1) }], 'b'))).toBe(
      'the keyring\'s current key "b" is not one of the keys it is given',
    );
    expect(
      messageOf(
        () =>
          new Keyring(
            [
              { id: 'a', key: keyOf(1) },
              { id: 'a', key: keyOf(2) },
            ],
            'a',
          ),
      ),
    ).toBe('the keyring is given key "a" twice');
    expect(messageOf(() => new Keyring([{ id: 'a', key: keyOf(1) }], 'a', ['a']))).toBe(
      'the keyring is given key "a", which it is also told is retired',
    );
  });

  it('keep keys of their own', () => {
    const key = keyOf(1);
    const keyring = new Keyring([{ id: 'a', key }], 'a');
    const sealed = sealCheckpoint(goldenImage(), keyring, nonceOf(1));
    key.fill(0);
    keyring.keyFor('a').fill(0);
    expect(unsealCheckpoint(sealed, keyring, 'a.sealed')).toEqual(goldenImage());
  });

  it('seal only with a nonce of 12 bytes', () => {
    expect(messageOf(() => sealCheckpoint(goldenImage(), ring(), new Uint8Array(16)))).toBe(
      "cannot seal with a nonce of 16 bytes: AES-GCM's nonce is 12",
    );
  });

  it('seal only images that can be encoded', () => {
    expect(
      messageOf(() => sealCheckpoint({ ...goldenImage(), root: 99 }, ring(), nonceOf(1))),
    ).toBe('checkpoint "golden" cannot be encoded: root: pid 99 is not a process of the image');
  });
});
