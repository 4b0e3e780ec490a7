import { z } from 'zod';
import { parseJsonDocument } from './json-document';

const schema = z.strictObject({ name: z.string(), pages: z.number().int().min(1) });
const fail = (message: string) => new Error(message);
const parse = (text: string | Uint8Array) =>
  parseJsonDocument(
    typeof text === 'string' ? new TextEncoder().encode(text) : text,
    'the manifest of a.img',
    schema,
    fail,
  );

describe('parseJsonDocument', () => {
  it('reads a document that is UTF-8, JSON and fits the schema', () => {
    expect(parse('{"name":"x","pages":2}')).toEqual({ name: 'x', pages: 2 });
  });

  it('refuses, in one sentence starting with where, what is not', () => {
    expect(() => parse(Uint8Array.of(0xff, 0xfe))).toThrow(
      'the manifest of a.img is not UTF-8 text',
    );
    expect(() => parse('\ufeff{"name":"x","pages":2}')).toThrow(
      /^the manifest of a.img is not JSON: /,
    );
    expect(() => parse('{"name":"x","pages":0}')).toThrow(
      /^the manifest of a.img is not a valid manifest: pages: Too small/,
    );
  });
});
