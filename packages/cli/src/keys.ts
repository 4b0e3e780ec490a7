import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { CliError } from './cli-error';

/** Reads an Ed25519 key from a PEM file; a missing or wrong file is named. */
export function readKey(file: string, kind: 'private' | 'public'): KeyObject {
  if (!existsSync(file)) throw new CliError(`Key file ${file} does not exist`);
  let key: KeyObject;
  try {
    const pem = readFileSync(file);
    key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  } catch (error) {
    throw new CliError(`Key file ${file} is not a ${kind} key in PEM: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new CliError(
      `Key file ${file} holds a ${key.asymmetricKeyType} key; runs are signed with Ed25519`,
    );
  return key;
}
