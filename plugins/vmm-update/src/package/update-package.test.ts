import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalJson } from '@chronovisor/core';
import fc from 'fast-check';
import {
  PackageRefused,
  UpdateKeyError,
  decodePackage,
  describePayload,
  encodePackage,
  privateKeyFromSeed,
  publicKeyFromHex,
  publicKeyToHex,
  signPackage,
  updateManifestSchema,
  verifyPackage,
  type RefusalReason,
  type UpdateManifest,
  type UpdatePackage,
  type VerifyContext,
} from './index';
import { assemble, layoutOf } from './test-support/assemble';
import {
  GOLDEN_FILE,
  GOLDEN_KEY_ID,
  GOLDEN_PUBLIC_KEY_HEX,
  GOLDEN_SEED,
  goldenManifest,
  goldenPayload,
  goldenPrivateKey,
} from './test-support/golden-package';

/** The PackageRefused `run` throws (failing the test if it throws anything else, or nothing). */
function refusalOf(run: () => unknown): PackageRefused {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PackageRefused);
    return error as PackageRefused;
  }
  throw new Error('expected a PackageRefused, but nothing was thrown');
}

const messageOf = (run: () => unknown): string => refusalOf(run).message;

/** The message of the error `run` throws, which must be an UpdateKeyError. */
function keyErrorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UpdateKeyError);
    return (error as Error).message;
  }
  throw new Error('expected an UpdateKeyError, but nothing was thrown');
}

/** A fixed key other than the golden publisher's. */
const otherKey = privateKeyFromSeed(new Uint8Array(32).fill(7));
const publisher = goldenPrivateKey();
const publisherPublic = publicKeyFromHex(GOLDEN_PUBLIC_KEY_HEX);

/** What a VMM at 1.0.0 that trusts the golden publisher and applied its dependency knows. */
const context = (change: Partial<VerifyContext> = {}): VerifyContext => ({
  trusted: new Map([[GOLDEN_KEY_ID, publisherPublic]]),
  vmmVersion: '1.0.0',
  applied: new Set(['security-fix-7']),
  ...change,
});

/** The golden package, or one like it with `change` to its manifest, signed by the publisher. */
function signed(change: Partial<UpdateManifest> = {}, payload = goldenPayload()): UpdatePackage {
  return signPackage(
    { ...goldenManifest(), ...change, payload: describePayload(payload) },
    payload,
    GOLDEN_KEY_ID,
    publisher,
  );
}

/** The refusal's reason and message as one value, for one expectation. */
function refused(pkg: unknown, ctx: VerifyContext = context()) {
  const { reason, message } = refusalOf(() => verifyPackage(pkg, ctx));
  return { reason, message };
}

const NAME = 'update package "golden-1.1.0"';

/** `value` with every object's keys in reverse order: the same data, spelled otherwise. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reversedKeys(item)]),
  );
}

describe('update packages', () => {
  describe('signed and verified', () => {
    it('verify, giving back their manifest', () => {
      const pkg = signed();
      expect(verifyPackage(pkg, context())).toEqual(goldenManifest());
      // A Buffer is a Uint8Array; the context may hold more keys and more applied updates.
      const more = context({
        trusted: new Map([
          ['other', publicKeyFromHex(publicKeyToHex(otherKey))],
          [GOLDEN_KEY_ID, publisherPublic],
        ]),
        applied: new Set(['a', 'security-fix-7', 'b']),
      });
      expect(verifyPackage({ ...pkg, payload: Buffer.from(pkg.payload) }, more)).toEqual(
        goldenManifest(),
      );
      // An update with no extensions and no dependencies.
      const bare = signed({ extensions: {}, compatible: {}, requires: [], hypercalls: ['call'] });
      expect(verifyPackage(bare, context({ applied: new Set() })).hypercalls).toEqual(['call']);
    });

    it('verify as a pure function: the same answer each time, the package left as it was', () => {
      const pkg = signed();
      const before = encodePackage(pkg);
      const results = [0, 1, 2].map(() => verifyPackage(pkg, context()));
      expect(results[1]).toEqual(results[0]);
      expect(results[2]).toEqual(results[0]);
      expect(encodePackage(pkg)).toEqual(before);
    });

    it('sign deterministically: equal manifests and keys, equal signatures', () => {
      const a = signed();
      const b = signPackage(goldenManifest(), goldenPayload(), GOLDEN_KEY_ID, goldenPrivateKey());
      expect(Buffer.from(a.signature.value).equals(Buffer.from(b.signature.value))).toBe(true);
      expect(a.signature.value).toHaveLength(64);
      // The signature covers the manifest's canonical JSON, whatever order its keys were in.
      const reordered = reversedKeys(goldenManifest()) as UpdateManifest;
      expect(Object.keys(reordered)[0]).toBe('payload');
      const c = signPackage(reordered, goldenPayload(), GOLDEN_KEY_ID, publisher);
      expect(Buffer.from(c.signature.value).equals(Buffer.from(a.signature.value))).toBe(true);
      const json = Buffer.from(canonicalJson(goldenManifest()), 'utf8');
      expect(verify(null, json, publisherPublic, a.signature.value)).toBe(true);
    });

    it('derive keys from seeds as RFC 8032 does', () => {
      // RFC 8032, section 7.1, TEST 1: the public key, and the signature of the empty message.
      expect(publicKeyToHex(privateKeyFromSeed(GOLDEN_SEED))).toBe(GOLDEN_PUBLIC_KEY_HEX);
      expect(sign(null, new Uint8Array(0), privateKeyFromSeed(GOLDEN_SEED)).toString('hex')).toBe(
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
      );
    });

    it('are not signed when they could never verify', () => {
      const payload = goldenPayload();
      expect(
        messageOf(() =>
          signPackage(
            { ...goldenManifest(), vmm: { from: '1.0', to: '1.1.0' } },
            payload,
            GOLDEN_KEY_ID,
            publisher,
          ),
        ),
      ).toBe(
        `${NAME} cannot be signed: manifest.vmm.from: "1.0" is not a semver version in its plain spelling (as 1.2.3 or 1.3.0-rc.1)`,
      );
      const short = payload.subarray(1);
      const mismatch = refusalOf(() =>
        signPackage(goldenManifest(), short, GOLDEN_KEY_ID, publisher),
      );
      expect(mismatch.reason).toBe('payload-mismatch');
      expect(mismatch.message).toBe(
        `${NAME} cannot be signed: its payload has 47 bytes and SHA-256 ${describePayload(short).sha256}, but its manifest says 48 bytes and SHA-256 ${goldenManifest().payload.sha256}`,
      );
      const noKeyId = refusalOf(() => signPackage(goldenManifest(), payload, '', publisher));
      expect([noKeyId.reason, noKeyId.message]).toEqual([
        'malformed',
        `${NAME} cannot be signed under key id "": a key id has 1..255 UTF-8 bytes`,
      ]);
      expect(
        messageOf(() => signPackage(goldenManifest(), payload, 'é'.repeat(128), publisher)),
      ).toContain('a key id has 1..255 UTF-8 bytes');
    });

    it('are signed only with an Ed25519 private key', () => {
      const x25519 = generateKeyPairSync('x25519').privateKey;
      expect(
        keyErrorOf(() => signPackage(goldenManifest(), goldenPayload(), GOLDEN_KEY_ID, x25519)),
      ).toBe('the signing key must be an Ed25519 key, but this one is x25519');
      expect(
        keyErrorOf(() =>
          signPackage(goldenManifest(), goldenPayload(), GOLDEN_KEY_ID, publisherPublic),
        ),
      ).toBe(`${NAME} cannot be signed with a public key: give the publisher's private key`);
    });
  });

  describe('are refused, for one reason, saying what and where', () => {
    const pkg = signed();

    it("'malformed': the package's shape, naming the field", () => {
      const withManifest = (manifest: object) => refused({ ...pkg, manifest });
      const malformed = (manifest: object) => withManifest({ ...goldenManifest(), ...manifest });
      expect(refused(null)).toEqual({
        reason: 'malformed',
        message: 'the update package is malformed: Invalid input: expected object, received null',
      });
      expect(malformed({ vmm: { from: '1.0.0', to: '0.9.0' } })).toEqual({
        reason: 'malformed',
        message: `${NAME} is malformed: manifest.vmm.to: 0.9.0 is not newer than vmm.from (1.0.0)`,
      });
      const cases: [object, string][] = [
        [{ vmm: { from: '1.0.0', to: '1.0.0' } }, 'manifest.vmm.to: 1.0.0 is not newer than'],
        [
          { vmm: { from: 'v1.0.0', to: '1.1.0' } },
          'manifest.vmm.from: "v1.0.0" is not a semver version in its plain spelling',
        ],
        [
          { hypercalls: ['map_page', 'yield', 'map_page'] },
          'manifest.hypercalls[2]: "map_page" duplicates hypercalls[0]',
        ],
        [
          { hypercalls: ['map_page', 'Yield'] },
          'manifest.hypercalls[1]: must be a lowercase name ([a-z][a-z0-9_]*)',
        ],
        [{ hypercalls: [] }, 'manifest.hypercalls: Too small: expected array to have >=1 items'],
        [
          { hypercalls: Array.from({ length: 65 }, (_, i) => `h${i}`) },
          'manifest.hypercalls: Too big: expected array to have <=64 items',
        ],
        [
          { extensions: { 'vm tools': '2.1.0' } },
          'manifest.extensions["vm tools"]: is not a valid name: must be 1..64 characters of A-Z a-z 0-9 . _ -, the first a letter or digit',
        ],
        [
          { extensions: { 'vm-tools': '2.1' } },
          'manifest.extensions["vm-tools"]: "2.1" is not a semver version in its plain spelling (as 1.2.3 or 1.3.0-rc.1)',
        ],
        [
          { compatible: { balloon: 'banana' } },
          'manifest.compatible.balloon: "banana" is not a semver range (as ^1.2.0 or >=1.2 <2)',
        ],
        [{ compatible: { balloon: '' } }, 'manifest.compatible.balloon: "" is not a semver range'],
        [
          { requires: [{ id: 'golden-1.1.0', vmm: '*' }] },
          `manifest.requires[0].id: "golden-1.1.0" is this update's own id`,
        ],
        [
          {
            requires: [
              { id: 'a', vmm: '*' },
              { id: 'a', vmm: '^1.0.0' },
            ],
          },
          'manifest.requires[1].id: "a" duplicates requires[0].id',
        ],
        [{ requires: [{ id: 'a' }] }, 'manifest.requires[0].vmm: Invalid input'],
        [{ id: 'has space' }, 'manifest.id: must be 1..64 characters of A-Z a-z 0-9 . _ -'],
        [{ id: 'x'.repeat(65) }, 'manifest.id: must be 1..64 characters'],
        [{ format: 2 }, 'manifest.format: Invalid input: expected 1'],
        [{ colour: 'red' }, 'manifest: Unrecognized key: "colour"'],
        [
          { payload: { bytes: 48, sha256: goldenManifest().payload.sha256.toUpperCase() } },
          'manifest.payload.sha256: must be 64 lowercase hex digits (a SHA-256)',
        ],
        [
          { payload: { bytes: -1, sha256: goldenManifest().payload.sha256 } },
          'manifest.payload.bytes: Too small',
        ],
      ];
      for (const [change, expected] of cases) {
        const { reason, message } = malformed(change);
        expect(reason).toBe('malformed');
        expect(message).toContain(expected);
      }
      // zod's records drop a "__proto__" key silently, so what was signed would not be all checked.
      const proto = JSON.parse(
        JSON.stringify(goldenManifest()).replace(
          '"extensions":{',
          '"extensions":{"__proto__":"1.0.0",',
        ),
      ) as object;
      expect(withManifest(proto).message).toBe(
        `${NAME} is malformed: manifest.extensions: has a "__proto__" key, which is no extension name`,
      );
      // Where there are many problems, the first three are named.
      expect(
        malformed({ id: 'a b', hypercalls: ['A'], extensions: { 'x y': '1' }, requires: 1 })
          .message,
      ).toMatch(
        /^update package "a b" is malformed: manifest\.id: .*; .*; .* \(and 1 more problem\)$/,
      );
    });

    it("'malformed': the payload and the signature's shape", () => {
      expect(refused({ ...pkg, payload: [1, 2, 3] })).toEqual({
        reason: 'malformed',
        message: `${NAME} is malformed: payload: expected a Uint8Array`,
      });
      expect(
        refused({ ...pkg, signature: { ...pkg.signature, value: new Uint8Array(10) } }),
      ).toEqual({
        reason: 'malformed',
        message: `${NAME} is malformed: signature.value: must be an Ed25519 signature of 64 bytes (or empty, unsigned)`,
      });
      expect(refused({ ...pkg, signature: { ...pkg.signature, keyId: '' } })).toEqual({
        reason: 'malformed',
        message: `${NAME} is malformed: signature.keyId: is empty, but a signature must name the key that made it`,
      });
      expect(refused({ ...pkg, signature: { ...pkg.signature, keyId: 'k'.repeat(256) } })).toEqual({
        reason: 'malformed',
        message: `${NAME} is malformed: signature.keyId: is longer than 255 UTF-8 bytes`,
      });
      expect(refused({ ...pkg, source: 'x' }).message).toBe(
        `${NAME} is malformed: Unrecognized key: "source"`,
      );
    });

    it("'unsigned': no signature, or an empty one", () => {
      const message = `${NAME} is unsigned: the VMM applies only packages signed by a publisher it trusts`;
      expect(refused({ manifest: pkg.manifest, payload: pkg.payload })).toEqual({
        reason: 'unsigned',
        message,
      });
      expect(
        refused({ ...pkg, signature: { keyId: GOLDEN_KEY_ID, value: new Uint8Array(0) } }),
      ).toEqual({ reason: 'unsigned', message });
      expect(refused({ ...pkg, signature: { keyId: '', value: new Uint8Array(0) } })).toEqual({
        reason: 'unsigned',
        message,
      });
    });

    it("'unknown-key': a key the VMM does not trust, naming it", () => {
      const byOther = signPackage(goldenManifest(), goldenPayload(), 'other', otherKey);
      expect(refused(byOther)).toEqual({
        reason: 'unknown-key',
        message: `${NAME} is signed with key "other", which the VMM does not trust (it trusts "golden-publisher")`,
      });
      expect(refused(pkg, context({ trusted: new Map() }))).toEqual({
        reason: 'unknown-key',
        message: `${NAME} is signed with key "golden-publisher", which the VMM does not trust (it trusts no key)`,
      });
      const two = new Map([
        ['zeta', publisherPublic],
        ['alpha', publisherPublic],
      ]);
      expect(refused(pkg, context({ trusted: two })).message).toBe(
        `${NAME} is signed with key "golden-publisher", which the VMM does not trust (it trusts "alpha", "zeta")`,
      );
    });

    it("'bad-signature': a manifest altered after signing, or signed by another key", () => {
      const expected = {
        reason: 'bad-signature',
        message: `${NAME} fails its Ed25519 signature check under key "golden-publisher": its manifest was altered after signing, or another key signed it`,
      };
      const altered = { ...pkg.manifest, vmm: { from: '1.0.0', to: '1.2.0' } };
      expect(refused({ ...pkg, manifest: altered })).toEqual(expected);
      const moreCalls = { ...pkg.manifest, hypercalls: [...pkg.manifest.hypercalls, 'debug'] };
      expect(refused({ ...pkg, manifest: moreCalls })).toEqual(expected);
      const noDependency = { ...pkg.manifest, requires: [] };
      expect(refused({ ...pkg, manifest: noDependency })).toEqual(expected);
      // Signed by another key, under the trusted key's id.
      const forged = signPackage(goldenManifest(), goldenPayload(), GOLDEN_KEY_ID, otherKey);
      expect(refused(forged)).toEqual(expected);
      const flipped = Uint8Array.from(pkg.signature.value);
      flipped[63]! ^= 0x01;
      expect(refused({ ...pkg, signature: { ...pkg.signature, value: flipped } })).toEqual(
        expected,
      );
    });

    it("'payload-mismatch': a payload altered after signing, by length or by hash", () => {
      expect(refused({ ...pkg, payload: pkg.payload.subarray(0, 47) })).toEqual({
        reason: 'payload-mismatch',
        message: `${NAME} has a payload of 47 bytes, but its manifest says 48: the payload was altered after signing`,
      });
      const altered = Uint8Array.from(pkg.payload);
      altered[5]! ^= 0x40;
      expect(refused({ ...pkg, payload: altered })).toEqual({
        reason: 'payload-mismatch',
        message: `${NAME} has a payload whose SHA-256 is ${describePayload(altered).sha256}, but its manifest says ${pkg.manifest.payload.sha256}: the payload was altered after signing`,
      });
    });

    it("'wrong-version': a package for another VMM version, saying both", () => {
      expect(refused(pkg, context({ vmmVersion: '1.0.1' }))).toEqual({
        reason: 'wrong-version',
        message: `${NAME} updates VMM 1.0.0 to 1.1.0, but the running VMM is 1.0.1`,
      });
      // Already applied: the VMM runs the version it updates to.
      expect(refused(pkg, context({ vmmVersion: '1.1.0' })).message).toBe(
        `${NAME} updates VMM 1.0.0 to 1.1.0, but the running VMM is 1.1.0`,
      );
    });

    it("'missing-dependency': an update not applied first, or not for this version, naming it", () => {
      expect(refused(pkg, context({ applied: new Set(['other-fix']) }))).toEqual({
        reason: 'missing-dependency',
        message: `${NAME} requires update "security-fix-7", which has not been applied`,
      });
      const later = signed({ requires: [{ id: 'security-fix-7', vmm: '>=1.0.1' }] });
      expect(refused(later)).toEqual({
        reason: 'missing-dependency',
        message: `${NAME} requires update "security-fix-7" with a VMM in ">=1.0.1", but the running VMM is 1.0.0`,
      });
      const three = signed({
        requires: [
          { id: 'security-fix-7', vmm: '^1.0.0' },
          { id: 'net-fix', vmm: '*' },
          { id: 'io-fix', vmm: '1.0.x' },
        ],
      });
      expect(refused(three).message).toBe(
        `${NAME} requires update "net-fix", which has not been applied (and 1 more dependency is missing)`,
      );
      expect(refused(three, context({ applied: new Set() })).message).toBe(
        `${NAME} requires update "security-fix-7", which has not been applied (and 2 more dependencies are missing)`,
      );
      expect(
        verifyPackage(
          three,
          context({ applied: new Set(['io-fix', 'net-fix', 'security-fix-7']) }),
        ),
      ).toEqual(three.manifest);
    });

    it('in the order the checks are made: the first failure is the refusal', () => {
      const reasonOf = (p: unknown, ctx = context()): RefusalReason => refused(p, ctx).reason;
      const everythingWrong = context({
        trusted: new Map(),
        vmmVersion: '9.0.0',
        applied: new Set(),
      });
      const altered = Uint8Array.from(pkg.payload);
      altered[0]! ^= 1;
      const alteredManifest = { ...pkg.manifest, id: 'renamed' };
      expect(reasonOf({ ...pkg, manifest: { ...pkg.manifest, id: '' } }, everythingWrong)).toBe(
        'malformed',
      );
      expect(reasonOf({ manifest: alteredManifest, payload: altered }, everythingWrong)).toBe(
        'unsigned',
      );
      expect(
        reasonOf({ ...pkg, manifest: alteredManifest, payload: altered }, everythingWrong),
      ).toBe('unknown-key');
      const wrongEverywhere = context({ vmmVersion: '9.0.0', applied: new Set() });
      expect(
        reasonOf({ ...pkg, manifest: alteredManifest, payload: altered }, wrongEverywhere),
      ).toBe('bad-signature');
      expect(reasonOf({ ...pkg, payload: altered }, wrongEverywhere)).toBe('payload-mismatch');
      expect(reasonOf(pkg, wrongEverywhere)).toBe('wrong-version');
      expect(reasonOf(pkg, context({ applied: new Set() }))).toBe('missing-dependency');
    });
  });

  describe('altered anywhere, are refused, never accepted', () => {
    const pkg = signed();
    const json = Buffer.from(canonicalJson(pkg.manifest), 'utf8');

    /** The package whose manifest is `json` with the byte at `at` XORed by `mask`, if it parses. */
    function withFlippedManifest(at: number, mask: number): UpdatePackage | undefined {
      const bytes = Buffer.from(json);
      bytes[at]! ^= mask;
      try {
        return { ...pkg, manifest: JSON.parse(bytes.toString('utf8')) as UpdateManifest };
      } catch {
        return undefined; // not JSON: no manifest to verify (decodePackage refuses such a file)
      }
    }

    it('a manifest with any one byte of its JSON changed (property)', () => {
      let verified = 0;
      fc.assert(
        fc.property(fc.nat(json.length - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
          const altered = withFlippedManifest(at, mask);
          if (!altered) return;
          verified++;
          const { reason } = refused(altered);
          expect(['malformed', 'bad-signature']).toContain(reason);
          // One that is still a manifest is caught by the signature.
          if (updateManifestSchema.safeParse(altered.manifest).success)
            expect(reason).toBe('bad-signature');
        }),
        { numRuns: 500 },
      );
      expect(verified).toBeGreaterThan(100);
    });

    it('a manifest with any one byte of its JSON changed (every byte, three masks)', () => {
      const seen = new Map<RefusalReason, number>();
      for (const mask of [0x01, 0x20, 0x80])
        for (let at = 0; at < json.length; at++) {
          const altered = withFlippedManifest(at, mask);
          if (!altered) continue;
          const { reason } = refused(altered);
          seen.set(reason, (seen.get(reason) ?? 0) + 1);
        }
      expect([...seen.keys()].sort()).toEqual(['bad-signature', 'malformed']);
      expect(seen.get('bad-signature')).toBeGreaterThan(50);
    });

    it('a payload with any one byte changed (property)', () => {
      fc.assert(
        fc.property(
          fc.nat(pkg.payload.length - 1),
          fc.integer({ min: 1, max: 255 }),
          (at, mask) => {
            const payload = Uint8Array.from(pkg.payload);
            payload[at]! ^= mask;
            const { reason, message } = refused({ ...pkg, payload });
            expect(reason).toBe('payload-mismatch');
            expect(message).toContain(
              `has a payload whose SHA-256 is ${describePayload(payload).sha256}`,
            );
          },
        ),
        { numRuns: 300 },
      );
    });

    it('a package file with any one byte changed, each part refused as its own', () => {
      const bytes = encodePackage(pkg);
      const at = layoutOf(bytes);
      const expected = (where: number): readonly RefusalReason[] => {
        if (where < 16 + at.manifestLength) return ['malformed', 'bad-signature'];
        if (where < at.payloadAt) return ['malformed'];
        if (where < at.keyIdLengthAt) return ['payload-mismatch'];
        if (where < at.keyIdAt) return ['malformed'];
        if (where < at.signatureAt) return ['malformed', 'unknown-key'];
        return ['bad-signature'];
      };
      fc.assert(
        fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (where, mask) => {
          const damaged = bytes.slice();
          damaged[where]! ^= mask;
          const { reason, message } = refusalOf(() =>
            verifyPackage(decodePackage(damaged, 'flip.cvupdt'), context()),
          );
          expect(expected(where)).toContain(reason);
          if (reason === 'malformed' && where >= 16 + at.manifestLength)
            expect(message).toContain('flip.cvupdt');
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('in files', () => {
    const pkg = signed();
    const bytes = encodePackage(pkg);
    const at = layoutOf(bytes);
    const decode = (damaged: Uint8Array) => messageOf(() => decodePackage(damaged, 'a.cvupdt'));

    /** A package as comparable data: bytes as hex, which jest compares at once. */
    const comparable = (p: UpdatePackage) => ({
      manifest: p.manifest,
      payload: Buffer.from(p.payload).toString('hex'),
      signature: {
        keyId: p.signature.keyId,
        value: Buffer.from(p.signature.value).toString('hex'),
      },
    });

    it('round trip: the same package, the same bytes', () => {
      const decoded = decodePackage(bytes, 'round.cvupdt');
      expect(comparable(decoded)).toEqual(comparable(pkg));
      expect(decoded.payload.constructor).toBe(Uint8Array);
      expect(encodePackage(decoded)).toEqual(bytes);
      expect(verifyPackage(decoded, context())).toEqual(goldenManifest());
    });

    it('round trip an unsigned package, which then verifies as unsigned', () => {
      const unsigned = { ...pkg, signature: { keyId: GOLDEN_KEY_ID, value: new Uint8Array(0) } };
      const file = encodePackage(unsigned);
      expect(file.length).toBe(bytes.length - GOLDEN_KEY_ID.length);
      expect(file.subarray(-65)).toEqual(new Uint8Array(65));
      const decoded = decodePackage(file, 'unsigned.cvupdt');
      expect(comparable(decoded)).toEqual(
        comparable({ ...pkg, signature: { keyId: '', value: new Uint8Array(0) } }),
      );
      expect(encodePackage(decoded)).toEqual(file);
      expect(refused(decoded).reason).toBe('unsigned');
    });

    it('read from a view into a larger buffer, giving bytes of their own', () => {
      const larger = new Uint8Array(bytes.length + 7);
      larger.set(bytes, 3);
      const decoded = decodePackage(larger.subarray(3, 3 + bytes.length), 'view.cvupdt');
      const before = comparable(decoded);
      expect(before).toEqual(comparable(pkg));
      larger.fill(0);
      expect(comparable(decoded)).toEqual(before);
    });

    it('read a manifest written in another key order and spacing, and verify it', () => {
      // The signature is over the canonical JSON of the manifest read, not over the file's bytes.
      const manifest = JSON.stringify(reversedKeys(goldenManifest()), null, 2);
      const file = assemble({
        manifest,
        payload: goldenPayload(),
        keyId: GOLDEN_KEY_ID,
        signature: pkg.signature.value,
      });
      const decoded = decodePackage(file, 'pretty.cvupdt');
      expect(verifyPackage(decoded, context())).toEqual(goldenManifest());
      expect(encodePackage(decoded)).toEqual(bytes);
    });

    it('round trip random packages, which verify', () => {
      const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
      const semver = fc
        .tuple(fc.nat(20), fc.nat(20), fc.nat(20))
        .map(([a, b, c]) => `${a}.${b}.${c}`);
      const packageArb = fc
        .record({
          id: fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
          from: semver,
          hypercalls: fc.uniqueArray(name, { minLength: 1, maxLength: 64 }),
          extensions: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/), semver, {
            maxKeys: 4,
          }),
          compatible: fc.dictionary(
            fc.stringMatching(/^[A-Z0-9][A-Za-z0-9_]{0,20}$/),
            fc.constantFrom('*', '^1.0.0', '>=1.2 <2', '1.x || 2.x', '~0.3.1'),
            { maxKeys: 4 },
          ),
          requires: fc.uniqueArray(fc.stringMatching(/^dep-[a-z0-9]{1,8}$/), { maxLength: 3 }),
          payload: fc.uint8Array({ maxLength: 300 }),
          // At most 4 UTF-8 bytes a code point: always within the 255 a key id may have.
          keyId: fc.string({ minLength: 1, maxLength: 63, unit: 'binary' }),
        })
        .map(({ from, requires, payload, keyId, ...rest }) => ({
          keyId,
          payload,
          manifest: {
            format: 1 as const,
            ...rest,
            vmm: { from, to: `${from.split('.')[0]!}.${Number(from.split('.')[1]) + 1}.0` },
            requires: requires.map((id) => ({ id, vmm: '*' })),
            payload: describePayload(payload),
          },
        }));
      fc.assert(
        fc.property(packageArb, ({ manifest, payload, keyId }) => {
          fc.pre(!manifest.requires.some((dependency) => dependency.id === manifest.id));
          const original = signPackage(manifest, payload, keyId, otherKey);
          const file = encodePackage(original);
          const decoded = decodePackage(file, 'random.cvupdt');
          expect(comparable(decoded)).toEqual(comparable(original));
          expect(encodePackage(decoded)).toEqual(file);
          const ctx: VerifyContext = {
            trusted: new Map([[keyId, publicKeyFromHex(publicKeyToHex(otherKey))]]),
            vmmVersion: manifest.vmm.from,
            applied: new Set(manifest.requires.map((dependency) => dependency.id)),
          };
          expect(verifyPackage(decoded, ctx)).toEqual(original.manifest);
        }),
        { numRuns: 150 },
      );
    });

    it('are not written for a package that is malformed, naming the field', () => {
      const bad = { ...pkg, manifest: { ...pkg.manifest, hypercalls: ['Map'] } };
      const refusal = refusalOf(() => encodePackage(bad));
      expect(refusal.reason).toBe('malformed');
      expect(refusal.message).toBe(
        `${NAME} cannot be encoded: manifest.hypercalls[0]: must be a lowercase name ([a-z][a-z0-9_]*)`,
      );
    });

    describe('that are damaged, are refused as malformed, naming the file and the part', () => {
      it('that is not a package', () => {
        const elf = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, ...bytes.subarray(4));
        const refusal = refusalOf(() => decodePackage(elf, 'a.cvupdt'));
        expect(refusal.reason).toBe('malformed');
        expect(refusal.message).toBe(
          'a.cvupdt is not a Chronovisor update package: it starts with 0x7f454c4644540000, not the magic "CVUPDT\\0\\0"',
        );
        expect(decode(assemble({ magic: 'CVSNAP\0\0', manifest: goldenManifest() }))).toMatch(
          /^a\.cvupdt is not a Chronovisor update package: it starts with 0x4356534e41500000/,
        );
      });

      it('written by a newer Chronovisor, or in no format known', () => {
        expect(decode(assemble({ format: 2, manifest: goldenManifest() }))).toBe(
          'a.cvupdt is in update package format 2, written by a newer Chronovisor: this one reads format 1 only',
        );
        expect(decode(assemble({ format: 0, manifest: goldenManifest() }))).toBe(
          'a.cvupdt has an unknown update package format 0 (at byte 8): this Chronovisor reads format 1 only',
        );
      });

      it('truncated, in whichever part it ends', () => {
        const cut = (length: number) => decode(bytes.subarray(0, length));
        expect(cut(0)).toBe(
          'a.cvupdt is truncated in its header (at byte 0): expected 16 bytes, found 0',
        );
        expect(cut(5)).toBe(
          'a.cvupdt is truncated in its header (at byte 0): expected 16 bytes, found 5',
        );
        expect(cut(12)).toBe(
          'a.cvupdt is truncated in its header (at byte 0): expected 16 bytes, found 12',
        );
        expect(cut(20)).toBe(
          `a.cvupdt is truncated in its manifest (at byte 16): expected ${at.manifestLength} bytes, found 4`,
        );
        expect(cut(at.payloadLengthAt + 2)).toBe(
          `a.cvupdt is truncated in its payload length (at byte ${at.payloadLengthAt}): expected 4 bytes, found 2`,
        );
        expect(cut(at.payloadAt + 10)).toBe(
          `a.cvupdt is truncated in its payload (at byte ${at.payloadAt}): expected 48 bytes, found 10`,
        );
        expect(cut(at.keyIdLengthAt)).toBe(
          `a.cvupdt is truncated in its key id length (at byte ${at.keyIdLengthAt}): expected 1 byte, found 0`,
        );
        expect(cut(at.keyIdAt + 4)).toBe(
          `a.cvupdt is truncated in its key id (at byte ${at.keyIdAt}): expected 16 bytes, found 4`,
        );
        expect(cut(bytes.length - 11)).toBe(
          `a.cvupdt is truncated in its signature (at byte ${at.signatureAt}): expected 64 bytes, found 53`,
        );
        // Every shorter file is refused, each naming the file.
        for (let length = 0; length < bytes.length; length++)
          expect(cut(length)).toMatch(/^a\.cvupdt is truncated in its /);
      });

      it('with bytes after its signature', () => {
        const longer = new Uint8Array(bytes.length + 3);
        longer.set(bytes);
        expect(decode(longer)).toBe(
          `a.cvupdt has 3 bytes after its signature (at byte ${bytes.length}): the file should end there`,
        );
      });

      it('whose manifest is not JSON, not UTF-8, or not a manifest', () => {
        expect(decode(assemble({ manifest: '{"format":1,' }))).toMatch(
          /^the manifest of a\.cvupdt \(at byte 16\) is not JSON: /,
        );
        const notUtf8 = bytes.slice();
        notUtf8[Buffer.from(notUtf8).indexOf('"golden-1.1.0"') + 1] = 0xff;
        expect(decode(notUtf8)).toBe('the manifest of a.cvupdt (at byte 16) is not UTF-8 text');
        expect(decode(assemble({ manifest: { ...goldenManifest(), id: '' } }))).toBe(
          'the manifest of a.cvupdt (at byte 16) is not a valid manifest: id: must be 1..64 characters of A-Z a-z 0-9 . _ -',
        );
        expect(decode(assemble({ manifest: [] }))).toBe(
          'the manifest of a.cvupdt (at byte 16) is not a valid manifest: Invalid input: expected object, received array',
        );
      });

      it('whose key id is not UTF-8, or whose signature has no key id', () => {
        const manifest = goldenManifest();
        const keyIdAt = 16 + JSON.stringify(manifest).length + 4 + 1;
        expect(decode(assemble({ manifest, keyId: Uint8Array.of(0x6b, 0xff) }))).toBe(
          `the key id of a.cvupdt (at byte ${keyIdAt}) is not UTF-8 text`,
        );
        expect(decode(assemble({ manifest, signature: new Uint8Array(64).fill(1) }))).toBe(
          `a.cvupdt has a signature (at byte ${keyIdAt}) but no key id (its length, at byte ${keyIdAt - 1}, is 0)`,
        );
      });
    });
  });

  describe('the golden file', () => {
    // If this fails, the format changed: files written before no longer read the same. Do not
    // regenerate the fixture to make it pass; make the change a new format version (the header's
    // u32, a new golden-v2.cvupdt) and keep reading version 1.
    const golden = new Uint8Array(readFileSync(GOLDEN_FILE));

    it('is what signing and encoding give today, byte for byte', () => {
      expect(golden.length).toBe(511);
      expect(describePayload(goldenPayload())).toEqual(goldenManifest().payload);
      const today = encodePackage(
        signPackage(goldenManifest(), goldenPayload(), GOLDEN_KEY_ID, goldenPrivateKey()),
      );
      expect(Buffer.from(today).equals(golden)).toBe(true);
      const decoded = decodePackage(golden, 'golden-v1.cvupdt');
      expect(verifyPackage(decoded, context())).toEqual(goldenManifest());
      expect(Buffer.from(decoded.payload).equals(Buffer.from(goldenPayload()))).toBe(true);
    });

    it('is laid out as FORMAT.md says', () => {
      const view = new DataView(golden.buffer, golden.byteOffset, golden.byteLength);
      const at = layoutOf(golden);
      expect(Buffer.from(golden.subarray(0, 8)).toString('latin1')).toBe('CVUPDT\0\0');
      expect(view.getUint32(8, true)).toBe(1);
      const manifestText = Buffer.from(golden.subarray(16, 16 + at.manifestLength)).toString(
        'utf8',
      );
      expect(manifestText).toBe(canonicalJson(goldenManifest()));
      expect(JSON.stringify(JSON.parse(manifestText))).toBe(manifestText);
      expect(at.payloadLength).toBe(48);
      expect(golden.subarray(at.payloadAt, at.keyIdLengthAt)).toEqual(goldenPayload());
      expect(Buffer.from(golden.subarray(at.keyIdAt, at.signatureAt)).toString('utf8')).toBe(
        GOLDEN_KEY_ID,
      );
      expect(at.end).toBe(golden.length);
      expect(golden.length).toBe(85 + at.manifestLength + 48 + GOLDEN_KEY_ID.length);
      // The signature: Ed25519 of the manifest's canonical JSON, under RFC 8032's TEST 1 key.
      const signature = golden.subarray(at.signatureAt);
      expect(verify(null, Buffer.from(manifestText, 'utf8'), publisherPublic, signature)).toBe(
        true,
      );
      expect(
        createHash('sha256').update(golden.subarray(at.payloadAt, at.keyIdLengthAt)).digest('hex'),
      ).toBe(goldenManifest().payload.sha256);
    });

    it('is refused wherever any one byte of it is changed', () => {
      for (const mask of [0x01, 0x80, 0xff])
        for (let where = 0; where < golden.length; where++) {
          const damaged = golden.slice();
          damaged[where]! ^= mask;
          refusalOf(() => verifyPackage(decodePackage(damaged, 'golden-v1.cvupdt'), context()));
        }
    });
  });
});

describe('publishers’ public keys in hex', () => {
  it('round trip, as raw 32-byte keys', () => {
    expect(publicKeyToHex(publicKeyFromHex(GOLDEN_PUBLIC_KEY_HEX))).toBe(GOLDEN_PUBLIC_KEY_HEX);
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const hex = publicKeyToHex(publicKey);
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(publicKeyFromHex(hex).equals(publicKey)).toBe(true);
    // A private key gives its public key's hex.
    expect(publicKeyToHex(privateKey)).toBe(hex);
    // Upper case is read, and written back in lower case.
    expect(publicKeyToHex(publicKeyFromHex(GOLDEN_PUBLIC_KEY_HEX.toUpperCase()))).toBe(
      GOLDEN_PUBLIC_KEY_HEX,
    );
    // A key read from hex verifies what its private key signed.
    const pkg = signPackage(goldenManifest(), goldenPayload(), 'random', privateKey);
    const trusted = new Map([['random', publicKeyFromHex(hex)]]);
    expect(verifyPackage(pkg, context({ trusted }))).toEqual(goldenManifest());
  });

  it('are refused when they are not 64 hex digits, naming the string', () => {
    expect(keyErrorOf(() => publicKeyFromHex('xyz'))).toBe(
      '"xyz" is not an Ed25519 public key: expected 64 hex digits (32 bytes), found "x" at character 0 (of 3 characters)',
    );
    expect(keyErrorOf(() => publicKeyFromHex(GOLDEN_PUBLIC_KEY_HEX.slice(2)))).toBe(
      `"${GOLDEN_PUBLIC_KEY_HEX.slice(2)}" is not an Ed25519 public key: expected 64 hex digits (32 bytes), found 62 hex digits`,
    );
    expect(keyErrorOf(() => publicKeyFromHex(`${GOLDEN_PUBLIC_KEY_HEX} `))).toContain(
      'found " " at character 64 (of 65 characters)',
    );
    expect(keyErrorOf(() => publicKeyFromHex(''))).toBe(
      '"" is not an Ed25519 public key: expected 64 hex digits (32 bytes), found 0 hex digits',
    );
  });

  it('and keys of other kinds, or seeds of other lengths, are refused', () => {
    expect(keyErrorOf(() => publicKeyToHex(generateKeyPairSync('x25519').publicKey))).toBe(
      'a public key must be an Ed25519 key, but this one is x25519',
    );
    expect(keyErrorOf(() => privateKeyFromSeed(new Uint8Array(16)))).toBe(
      'an Ed25519 seed has 32 bytes, but this one has 16',
    );
  });
});
