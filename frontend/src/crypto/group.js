// The prime-order group ristretto255 (RFC 9496), as crypto/group.py.
// Points are @noble/curves ristretto255 Point objects; scalars are BigInt in [0, L).
// Encodings: points 32 bytes canonical (identity = 32 zero bytes), scalars 32 bytes
// little-endian canonical (< L).
import { ristretto255, ristretto255_hasher } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import {
  bigIntToBytesLE,
  bytesToBigIntLE,
  equalBytes,
  fromHex,
  randomBytes,
  toHex,
} from "./bytes.js";
import { encode as transcriptEncode } from "./transcript.js";

const Point = ristretto255.Point;

/** ℓ, the group order (RFC 9496 §4.1). */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;
export const SCALAR_BYTES = 32;
export const POINT_BYTES = 32;
export const GENERATOR = Point.BASE;
export const IDENTITY = Point.ZERO;

export function mod(a) {
  const r = a % L;
  return r < 0n ? r + L : r;
}

// --- scalars ----------------------------------------------------------------------

/** 32 bytes little-endian -> BigInt; rejects values >= L (non-canonical). */
export function scalarDecode(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SCALAR_BYTES) {
    throw new Error(`a scalar has ${SCALAR_BYTES} bytes`);
  }
  const value = bytesToBigIntLE(bytes);
  if (value >= L) throw new Error("scalar is not reduced modulo ℓ");
  return value;
}

export function scalarEncode(scalar) {
  if (typeof scalar !== "bigint" || scalar < 0n || scalar >= L) throw new Error("not a scalar");
  return bigIntToBytesLE(scalar, SCALAR_BYTES);
}

export const scalarFromHex = (text) => scalarDecode(fromHex(text, SCALAR_BYTES));
export const scalarToHex = (scalar) => toHex(scalarEncode(scalar));

/** 64 bytes (a SHA-512 output) read little-endian, reduced mod L. */
export function scalarFromWide(bytes) {
  if (bytes.length !== 64) throw new Error("from_wide takes 64 bytes");
  return mod(bytesToBigIntLE(bytes));
}

/** A uniformly random non-zero scalar (64 random bytes mod L, as Scalar.random). */
export function randomScalar(random = randomBytes) {
  for (;;) {
    const candidate = scalarFromWide(random(64));
    if (candidate !== 0n) return candidate;
  }
}

export function scalarInvert(scalar) {
  if (mod(scalar) === 0n) throw new Error("zero has no inverse modulo ℓ");
  return modPow(mod(scalar), L - 2n, L);
}

function modPow(base, exponent, modulus) {
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

// --- points -----------------------------------------------------------------------

/**
 * Decode and validate a point: canonical RFC 9496 encoding only (top bit set is
 * rejected), the identity only with `{ allowIdentity: true }`.
 */
export function pointDecode(bytes, { allowIdentity = false } = {}) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== POINT_BYTES) {
    throw new Error(`a point has ${POINT_BYTES} bytes`);
  }
  if (bytes.every((b) => b === 0)) {
    if (allowIdentity) return IDENTITY;
    throw new Error("the identity element is not allowed here");
  }
  if (bytes[31] & 0x80) throw new Error("not a canonical ristretto255 encoding");
  let point;
  try {
    point = Point.fromBytes(bytes);
  } catch {
    throw new Error("not a canonical ristretto255 encoding");
  }
  // Belt and braces: the encoding must round-trip exactly.
  if (!equalBytes(point.toBytes(), bytes)) throw new Error("not a canonical ristretto255 encoding");
  return point;
}

export const pointEncode = (point) => point.toBytes();
export const pointFromHex = (text, options) => pointDecode(fromHex(text, POINT_BYTES), options);
export const pointToHex = (point) => toHex(point.toBytes());
export const isIdentity = (point) => point.is0();
export const pointEquals = (a, b) => a.equals(b);

/** P * s; the identity for s = 0 or P = identity (noble refuses a zero scalar). */
export function mul(point, scalar) {
  const s = mod(scalar);
  if (s === 0n || point.is0()) return IDENTITY;
  return point.multiply(s);
}

/** G * s. */
export const baseMul = (scalar) => mul(GENERATOR, scalar);
export const add = (a, b) => a.add(b);
export const sub = (a, b) => a.subtract(b);

/** SHA-512(transcript.encode(domain, ...parts)) little-endian mod L (Fiat–Shamir). */
export function hashToScalar(domain, ...parts) {
  return scalarFromWide(sha512(transcriptEncode(domain, ...parts)));
}

/** RFC 9496 element derivation of SHA-512(transcript.encode(domain, ...parts)). */
export function hashToPoint(domain, ...parts) {
  return ristretto255_hasher.deriveToCurve(sha512(transcriptEncode(domain, ...parts)));
}
