// Canonical JSON (RFC 8785) for the JSON subset crypto/canonical.py accepts: objects
// with string keys (sorted by UTF-16 code units), strings (no lone surrogates),
// safe integers, arrays, booleans, null. No floats.
import { concatBytes, utf8 } from "./bytes.js";
import { sha256 } from "@noble/hashes/sha2.js";

export const MAX_DEPTH = 64;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LABEL_RE = /^[a-z0-9][a-z0-9._/-]{0,127}$/;

function serialise(value, depth) {
  if (depth > MAX_DEPTH) throw new Error(`nesting deeper than ${MAX_DEPTH}`);
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value)) throw new Error("lone surrogate in a string");
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error("only integers within ±(2**53 - 1)");
    return Object.is(value, -0) ? "0" : String(value);
  }
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error("integer outside ±(2**53 - 1)");
    }
    return value.toString();
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => serialise(item, depth + 1)).join(",")}]`;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks.
    const keys = Object.keys(value).sort();
    const members = [];
    for (const key of keys) {
      if (value[key] === undefined) throw new Error(`undefined value for ${key}`);
      members.push(`${serialise(key, depth + 1)}:${serialise(value[key], depth + 1)}`);
    }
    return `{${members.join(",")}}`;
  }
  throw new Error(`unsupported type ${typeof value}`);
}

/** RFC 8785 canonical JSON as a string. */
export const canonicalJsonString = (value) => serialise(value, 0);

/** RFC 8785 canonical JSON as UTF-8 bytes. */
export const canonicalJson = (value) => utf8(serialise(value, 0));

export function labelBytes(label) {
  if (typeof label !== "string" || !LABEL_RE.test(label)) {
    throw new Error("label must match [a-z0-9][a-z0-9._/-]{0,127}");
  }
  return utf8(label);
}

/** SHA-256(label || 0x00 || canonical_json(value)). */
export function domainHash(label, value) {
  return sha256(concatBytes(labelBytes(label), new Uint8Array([0]), canonicalJson(value)));
}
