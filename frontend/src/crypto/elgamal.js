// Exponential ElGamal on ristretto255 (crypto/elgamal.py):
// (alpha, beta) = (g^r, g^m · K^r); ciphertexts are { alpha, beta } of points.
import {
  GENERATOR,
  IDENTITY,
  L,
  add,
  baseMul,
  mul,
  pointFromHex,
  pointToHex,
  randomScalar,
} from "./group.js";
import { randomBytes } from "./bytes.js";

export const ZERO_CIPHERTEXT = Object.freeze({ alpha: IDENTITY, beta: IDENTITY });

/** A fresh non-zero nonce r. */
export const freshNonce = (random = randomBytes) => randomScalar(random);

/** g^m for 0 <= m < L (g^0 is the identity). */
export function encodePlaintext(plaintext) {
  const m = BigInt(plaintext);
  if (m < 0n || m >= L) throw new Error("plaintext must be a non-negative integer below ℓ");
  if (m === 1n) return GENERATOR;
  return baseMul(m);
}

/** (g^r, g^m · K^r); deterministic in the nonce. */
export function encrypt(publicKey, plaintext, nonce) {
  return { alpha: baseMul(nonce), beta: add(encodePlaintext(plaintext), mul(publicKey, nonce)) };
}

/** Homomorphic sum. */
export function aggregate(ciphertexts) {
  let total = null;
  for (const c of ciphertexts) {
    total = total === null ? c : { alpha: add(total.alpha, c.alpha), beta: add(total.beta, c.beta) };
  }
  return total ?? ZERO_CIPHERTEXT;
}

/** Record JSON form { alpha: hex, beta: hex } (ballots/codec.py ciphertext_json). */
export const ciphertextToJson = (c) => ({ alpha: pointToHex(c.alpha), beta: pointToHex(c.beta) });

/** Strict decoding: exactly the fields alpha, beta; valid non-identity points. */
export function ciphertextFromJson(value, { allowIdentity = false } = {}) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error("a ciphertext is an object");
  }
  const keys = Object.keys(value).sort();
  if (keys.length !== 2 || keys[0] !== "alpha" || keys[1] !== "beta") {
    throw new Error("expected an object with exactly the fields alpha, beta");
  }
  return {
    alpha: pointFromHex(value.alpha, { allowIdentity }),
    beta: pointFromHex(value.beta, { allowIdentity }),
  };
}
