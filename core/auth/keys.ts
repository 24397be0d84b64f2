import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

/**
 * Ed25519 signing keys the gateway owns (development issuer, admin tokens): loaded from a PEM file,
 * or generated into it on first use. Created exclusively, so two processes starting together (the
 * gateway and `tapegate dev-token`) end up with the same key.
 */
export interface SigningKey {
  privateKey: KeyObject;
  publicJwk: JWK & { kid: string; alg: 'EdDSA'; use: 'sig' };
  kid: string;
  file: string;
}

export async function loadOrCreateSigningKey(file: string): Promise<SigningKey> {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const fresh = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      writeFileSync(file, fresh, { flag: 'wx', mode: 0o600 });
      pem = fresh;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      pem = readFileSync(file, 'utf8');
    }
  }
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${file} must hold an Ed25519 private key (PEM, PKCS#8), found ${privateKey.asymmetricKeyType}`);
  }
  const jwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, kid, file, publicJwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}
