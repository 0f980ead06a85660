// Byte helpers shared by the crypto modules: strict hex, UTF-8, base64, u32, randomness.
// Every function that needs randomness takes a `random(n) -> Uint8Array` source; the
// default is the browser's CSPRNG (crypto.getRandomValues). Tests inject their own.

const HEX_RE = /^(?:[0-9a-f]{2})*$/;

/** Lowercase hex of a byte array. */
export function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Strict lowercase even-length hex -> bytes (as crypto/canonical.py from_hex); throws. */
export function fromHex(text, length) {
  if (typeof text !== "string" || !HEX_RE.test(text)) {
    throw new Error("expected lowercase hex of even length");
  }
  if (length !== undefined && text.length !== 2 * length) {
    throw new Error(`expected ${2 * length} lowercase hex characters`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concatBytes(...parts) {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function utf8(text) {
  return encoder.encode(text);
}

/** Strict UTF-8 decoding (throws on invalid input). */
export function fromUtf8(bytes) {
  return decoder.decode(bytes);
}

/** 4 bytes big-endian; throws outside 0..2^32-1 (crypto/transcript.py u32). */
export function u32(value) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`${value} does not fit in an unsigned 32-bit field`);
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

export function bytesToBigIntBE(bytes) {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

export function bytesToBigIntLE(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

export function bigIntToBytesBE(value, length) {
  if (value < 0n) throw new Error("negative integer");
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new Error("integer too large for its length");
  return out;
}

export function bigIntToBytesLE(value, length) {
  return bigIntToBytesBE(value, length).reverse();
}

/** The default random source: `n` bytes from crypto.getRandomValues. */
export function randomBytes(n) {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65536 bytes per call.
  for (let offset = 0; offset < n; offset += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(n, offset + 65536)));
  }
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 with padding (RFC 4648 §4). */
export function toBase64(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : "=";
    out += i + 2 < bytes.length ? B64[n & 63] : "=";
  }
  return out;
}

/** Canonical standard base64 -> bytes, or null (as checkpoints.py _strict_b64decode). */
export function fromBase64Strict(text) {
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    return null;
  }
  const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text[i + j];
      n = (n << 6) | (c === "=" ? 0 : B64.indexOf(c));
    }
    const bytes = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    for (const b of bytes) if (o < out.length) out[o++] = b;
  }
  return toBase64(out) === text ? out : null;
}
