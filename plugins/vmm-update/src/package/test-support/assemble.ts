/*
 * Package files built by hand from FORMAT.md, not by the encoder: to make files the encoder never
 * would (another magic or format, a manifest that is not canonical or not JSON, a key id that is
 * not UTF-8), and to check the encoder's layout against the document.
 */

/** The parts of a package file; what is not given is the golden package's, or derived. */
export interface RawPackage {
  readonly magic?: string;
  readonly format?: number;
  /** The manifest's text, or any value to write as JSON. */
  readonly manifest: string | object;
  readonly payload?: Uint8Array;
  /** The key id's text, or its bytes. */
  readonly keyId?: string | Uint8Array;
  readonly signature?: Uint8Array;
}

/** The bytes of `raw`, laid out as FORMAT.md says. */
export function assemble(raw: RawPackage): Uint8Array {
  const magic = Buffer.from(raw.magic ?? 'CVUPDT\0\0', 'latin1');
  const manifest = Buffer.from(
    typeof raw.manifest === 'string' ? raw.manifest : JSON.stringify(raw.manifest),
    'utf8',
  );
  const payload = raw.payload ?? new Uint8Array(0);
  const keyId =
    typeof raw.keyId === 'string' ? Buffer.from(raw.keyId, 'utf8') : (raw.keyId ?? Buffer.alloc(0));
  const u32 = (value: number) => {
    const out = Buffer.alloc(4);
    out.writeUInt32LE(value, 0);
    return out;
  };
  return new Uint8Array(
    Buffer.concat([
      magic,
      u32(raw.format ?? 1),
      u32(manifest.length),
      manifest,
      u32(payload.length),
      payload,
      Uint8Array.of(keyId.length),
      keyId,
      raw.signature ?? new Uint8Array(64),
    ]),
  );
}

/** Where the parts of a package file start, read from its length fields as FORMAT.md lays them out. */
export function layoutOf(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const manifestLength = view.getUint32(12, true);
  const payloadLengthAt = 16 + manifestLength;
  const payloadLength = view.getUint32(payloadLengthAt, true);
  const payloadAt = payloadLengthAt + 4;
  const keyIdLengthAt = payloadAt + payloadLength;
  const keyIdLength = view.getUint8(keyIdLengthAt);
  const keyIdAt = keyIdLengthAt + 1;
  const signatureAt = keyIdAt + keyIdLength;
  return {
    manifestLength,
    payloadLengthAt,
    payloadLength,
    payloadAt,
    keyIdLengthAt,
    keyIdLength,
    keyIdAt,
    signatureAt,
    end: signatureAt + 64,
  };
}
