// RSA blind signatures, client side: RFC 9474 RSABSSA-SHA384-PSS-Randomized
// (crypto/blind_rsa.py): Prepare (32-byte random prefix), Blind (EMSA-PSS with SHA-384,
// MGF1-SHA-384, salt 48 bytes), Finalize (unblind and verify RSASSA-PSS).
// The issuer key comes from keys.json `issuer.public_key_spki` (SubjectPublicKeyInfo DER).
import { sha384 } from "@noble/hashes/sha2.js";
import {
  bigIntToBytesBE,
  bytesToBigIntBE,
  concatBytes,
  equalBytes,
  fromHex,
  randomBytes,
} from "./bytes.js";

export const VARIANT = "RSABSSA-SHA384-PSS-Randomized";
export const PREFIX_LEN = 32;
export const SALT_LEN = 48;
const H_LEN = 48;
const RSA_OID = Uint8Array.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]);

// --- DER ---------------------------------------------------------------------------

function readTlv(bytes, offset, expectedTag) {
  if (offset + 2 > bytes.length) throw new Error("DER: truncated");
  const tag = bytes[offset];
  if (tag !== expectedTag) throw new Error(`DER: expected tag ${expectedTag}, got ${tag}`);
  let length = bytes[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3 || start + count > bytes.length) throw new Error("DER: bad length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i];
    if (length < 128 || bytes[start] === 0) throw new Error("DER: non-minimal length");
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw new Error("DER: truncated");
  return { start, end, value: bytes.subarray(start, end) };
}

function readPositiveInteger(bytes, offset) {
  const tlv = readTlv(bytes, offset, 0x02);
  const v = tlv.value;
  if (v.length === 0 || v[0] & 0x80) throw new Error("DER: integer must be positive");
  if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) throw new Error("DER: non-minimal integer");
  return { value: bytesToBigIntBE(v), end: tlv.end };
}

/** Parse an RSA SubjectPublicKeyInfo (DER bytes or hex) into { n, e, modulusLen }. */
export function parseSpki(der) {
  const bytes = typeof der === "string" ? fromHex(der) : der;
  const outer = readTlv(bytes, 0, 0x30);
  if (outer.end !== bytes.length) throw new Error("DER: trailing data");
  const algorithm = readTlv(bytes, outer.start, 0x30);
  const oid = readTlv(bytes, algorithm.start, 0x06);
  if (!equalBytes(oid.value, RSA_OID)) throw new Error("not an rsaEncryption key");
  if (oid.end !== algorithm.end) {
    const params = readTlv(bytes, oid.end, 0x05);
    if (params.value.length !== 0 || params.end !== algorithm.end) throw new Error("DER: bad parameters");
  }
  const bitString = readTlv(bytes, algorithm.end, 0x03);
  if (bitString.end !== outer.end || bitString.value[0] !== 0) throw new Error("DER: bad bit string");
  const inner = bitString.value.subarray(1);
  const seq = readTlv(inner, 0, 0x30);
  if (seq.end !== inner.length) throw new Error("DER: trailing key data");
  const n = readPositiveInteger(inner, seq.start);
  const e = readPositiveInteger(inner, n.end);
  if (e.end !== seq.end) throw new Error("DER: trailing key fields");
  return publicKey(n.value, e.value);
}

/** The issuer key { n, e, modulusLen }, with the checks of BlindRsaPublicKey. */
export function publicKey(n, e) {
  const bits = n.toString(2).length;
  if (n % 2n === 0n || bits < 2048 || bits > 8192) throw new Error("modulus must be odd, 2048..8192 bits");
  if (e !== 65537n) throw new Error("public exponent must be 65537");
  return Object.freeze({ n, e, bits, modulusLen: Math.ceil(bits / 8) });
}

// --- arithmetic ---------------------------------------------------------------------

export function modPow(base, exponent, modulus) {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

function gcd(a, b) {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** a^-1 mod n, or null if none exists. */
export function modInverse(a, n) {
  let [oldR, r] = [((a % n) + n) % n, n];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) return null;
  return ((oldS % n) + n) % n;
}

// --- EMSA-PSS (RFC 8017 §9.1) -----------------------------------------------------------

function mgf1(seed, length) {
  const blocks = [];
  for (let i = 0, have = 0; have < length; i++, have += H_LEN) {
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, i, false);
    blocks.push(sha384(concatBytes(seed, counter)));
  }
  return concatBytes(...blocks).subarray(0, length);
}

/** EMSA-PSS-ENCODE with SHA-384 and MGF1-SHA-384. */
export function emsaPssEncode(message, emBits, salt) {
  const emLen = Math.ceil(emBits / 8);
  if (emLen < H_LEN + salt.length + 2) throw new Error("modulus too small for SHA-384 and this salt");
  const mHash = sha384(message);
  const h = sha384(concatBytes(new Uint8Array(8), mHash, salt));
  const db = concatBytes(new Uint8Array(emLen - salt.length - H_LEN - 2), Uint8Array.of(1), salt);
  const mask = mgf1(h, emLen - H_LEN - 1);
  const masked = db.map((b, i) => b ^ mask[i]);
  masked[0] &= 0xff >> (8 * emLen - emBits);
  return concatBytes(masked, h, Uint8Array.of(0xbc));
}

function emsaPssVerify(message, em, emBits, sLen) {
  const emLen = Math.ceil(emBits / 8);
  if (em.length !== emLen || emLen < H_LEN + sLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const masked = em.subarray(0, emLen - H_LEN - 1);
  const h = em.subarray(emLen - H_LEN - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if (masked[0] & ~topMask & 0xff) return false;
  const mask = mgf1(h, emLen - H_LEN - 1);
  const db = masked.map((b, i) => b ^ mask[i]);
  db[0] &= topMask;
  const psLen = emLen - H_LEN - sLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 1) return false;
  const salt = db.subarray(db.length - sLen);
  const h2 = sha384(concatBytes(new Uint8Array(8), sha384(message), salt));
  return equalBytes(h, h2);
}

/** RFC 9474 §4.5: RSASSA-PSS-VERIFY(pk, input_msg, sig), SHA-384, salt 48. Never throws. */
export function verify(pk, inputMsg, sig) {
  try {
    if (!(sig instanceof Uint8Array) || sig.length !== pk.modulusLen) return false;
    const s = bytesToBigIntBE(sig);
    if (s >= pk.n) return false;
    const emBits = pk.bits - 1;
    const emLen = Math.ceil(emBits / 8);
    const m = modPow(s, pk.e, pk.n);
    if (m >= 1n << BigInt(8 * emLen)) return false;
    return emsaPssVerify(inputMsg, bigIntToBytesBE(m, emLen), emBits, SALT_LEN);
  } catch {
    return false;
  }
}

// --- client protocol ------------------------------------------------------------------

/** §4.1 PrepareRandomize: { prefix (32 random bytes), msg, inputMsg = prefix || msg }. */
export function prepare(msg, { random = randomBytes, prefix } = {}) {
  const p = prefix ?? random(PREFIX_LEN);
  if (p.length !== PREFIX_LEN) throw new Error("msg_prefix must be 32 bytes");
  return { prefix: p, msg, inputMsg: concatBytes(p, msg) };
}

/** §4.2 Blind with explicit salt and r (test vectors; `blind` draws them). */
export function blindWith(pk, prepared, salt, r) {
  const encoded = emsaPssEncode(prepared.inputMsg, pk.bits - 1, salt);
  const m = bytesToBigIntBE(encoded);
  if (gcd(m, pk.n) !== 1n) throw new Error("invalid input: encoded message is not co-prime with n");
  const inv = modInverse(r, pk.n);
  if (inv === null) throw Object.assign(new Error("blinding error"), { blindingError: true });
  const z = (m * modPow(r, pk.e, pk.n)) % pk.n;
  return { prepared, blindedMsg: bigIntToBytesBE(z, pk.modulusLen), inv };
}

/** Uniform integer in [1, n) from the byte source (rejection sampling). */
function randomBelow(n, random) {
  const bits = n.toString(2).length;
  const len = Math.ceil(bits / 8);
  const excess = BigInt(8 * len - bits);
  for (;;) {
    const candidate = bytesToBigIntBE(random(len)) >> excess;
    if (candidate >= 1n && candidate < n) return candidate;
  }
}

/**
 * §4.2 Blind: fresh salt (48 bytes) and blind r. Returns the client state
 * { prepared, blindedMsg, inv }; `inv` is secret.
 */
export function blind(pk, prepared, { random = randomBytes } = {}) {
  const salt = random(SALT_LEN);
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      return blindWith(pk, prepared, salt, randomBelow(pk.n, random));
    } catch (error) {
      if (!error.blindingError) throw error;
    }
  }
  throw new Error("no invertible blind found");
}

/** §4.4 Finalize: unblind and verify; returns the 'sig' bytes or throws. */
export function finalize(pk, state, blindSig) {
  if (!(blindSig instanceof Uint8Array) || blindSig.length !== pk.modulusLen) {
    throw new Error(`blind_sig must be ${pk.modulusLen} bytes`);
  }
  const z = bytesToBigIntBE(blindSig);
  if (z >= pk.n) throw new Error("blind_sig is not below n");
  const sig = bigIntToBytesBE((z * state.inv) % pk.n, pk.modulusLen);
  if (!verify(pk, state.prepared.inputMsg, sig)) throw new Error("the issuer's blind signature does not verify");
  return sig;
}
