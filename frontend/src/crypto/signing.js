// Ed25519 (RFC 8032) with domain separation, as crypto/signing.py:
// sign(seed, label, payload) signs label || 0x00 || payload.
import { ed25519 } from "@noble/curves/ed25519.js";
import { concatBytes, randomBytes } from "./bytes.js";
import { labelBytes } from "./canonical.js";

export const SEED_SIZE = 32;
export const SIGNATURE_SIZE = 64;

/** label || 0x00 || payload. */
export function labelledMessage(label, payload) {
  if (!(payload instanceof Uint8Array)) throw new Error("payload must be bytes");
  return concatBytes(labelBytes(label), Uint8Array.of(0), payload);
}

/** A fresh 32-byte seed (the secret key). */
export const generateSeed = (random = randomBytes) => random(SEED_SIZE);

export const publicKeyOf = (seed) => ed25519.getPublicKey(seed);

export const signMessage = (seed, message) => ed25519.sign(message, seed);

export const sign = (seed, label, payload) => signMessage(seed, labelledMessage(label, payload));

/** Strict RFC 8032 verification (zip215 off, like libsodium). Never throws. */
export function verifyMessage(publicKey, message, signature) {
  try {
    if (signature.length !== SIGNATURE_SIZE || publicKey.length !== 32) return false;
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export function verify(publicKey, label, payload, signature) {
  try {
    return verifyMessage(publicKey, labelledMessage(label, payload), signature);
  } catch {
    return false;
  }
}
