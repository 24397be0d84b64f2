import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { TapegateError } from '../../core/errors.js';

/**
 * The Ed25519 key that signs sealed segments. From config (recording.signingKeyFile) when given,
 * otherwise generated into the data dir on first start. Its public half is written next to the
 * segments (spool/key-<keyId>.pub.pem) so it travels with them to the store.
 */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** First 16 hex chars of SHA-256 over the raw 32-byte public key. */
  keyId: string;
  publicKeyPem: string;
}

export const GENERATED_KEY_FILE = 'signing-key.pem';

export function publicKeyFileName(keyId: string): string {
  return `key-${keyId}.pub.pem`;
}

export function keyIdOf(publicKey: KeyObject): string {
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

function signingKeyFromPrivate(privateKey: KeyObject, source: string): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TapegateError('TG_SIGNING_KEY_INVALID', 500, `recording.signingKeyFile: ${source} is a ${privateKey.asymmetricKeyType} key; an Ed25519 private key (PEM) is required`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey), publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

/** Writes a file durably (temp file, fsync, rename) so a crash never leaves half of it. */
export function writeFileDurably(file: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function loadSigningKey(dataDir: string, signingKeyFile: string | undefined): SigningKey {
  if (signingKeyFile) {
    let pem: Buffer;
    try {
      pem = readFileSync(signingKeyFile);
    } catch (err) {
      throw new TapegateError('TG_SIGNING_KEY_UNREADABLE', 500, `recording.signingKeyFile: cannot read ${signingKeyFile}: ${(err as Error).message}`);
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch (err) {
      throw new TapegateError('TG_SIGNING_KEY_INVALID', 500, `recording.signingKeyFile: ${signingKeyFile} is not a PEM private key: ${(err as Error).message}`);
    }
    return signingKeyFromPrivate(key, signingKeyFile);
  }
  const file = path.join(dataDir, GENERATED_KEY_FILE);
  if (existsSync(file)) return signingKeyFromPrivate(createPrivateKey(readFileSync(file)), file);
  mkdirSync(dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileDurably(file, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600);
  return signingKeyFromPrivate(privateKey, file);
}

/** Writes the public key next to the segments if it is not there yet; returns its path. */
export function publishPublicKey(key: SigningKey, spoolDir: string): string {
  const file = path.join(spoolDir, publicKeyFileName(key.keyId));
  if (!existsSync(file)) writeFileDurably(file, key.publicKeyPem);
  return file;
}

export function signSegment(key: SigningKey, message: Uint8Array): Buffer {
  return sign(null, message, key.privateKey);
}
