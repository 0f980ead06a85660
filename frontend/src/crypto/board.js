// Receipt checking: RFC 9162 Merkle inclusion (crypto/merkle.py) under a C2SP
// signed-note checkpoint with an Ed25519 signature (crypto/checkpoints.py), as
// ballots/board.py check_receipt.
import { sha256 } from "@noble/hashes/sha2.js";
import {
  concatBytes,
  equalBytes,
  fromBase64Strict,
  fromHex,
  fromUtf8,
  toHex,
  utf8,
} from "./bytes.js";
import { verifyMessage } from "./signing.js";

export const HASH_SIZE = 32;
const MAX_TREE_SIZE = 2n ** 64n - 1n;
const MAX_NOTE_BYTES = 64 * 1024;
const MAX_SIGNATURES = 100;
const KEY_ID_SIZE = 4;
const EM_DASH = "\u2014";
const KEY_NAME_RE = /^[^\s+\x00-\x1f\x7f]+$/u;
const SIZE_RE = /^(?:0|[1-9][0-9]{0,19})$/;
const CONTROL_RE = /[\x00-\x09\x0b-\x1f]/;

/** SHA-256(0x00 || data). */
export const leafHash = (data) => sha256(concatBytes(Uint8Array.of(0), data));
/** SHA-256(0x01 || left || right). */
export const nodeHash = (left, right) => sha256(concatBytes(Uint8Array.of(1), left, right));

/** RFC 9162 §2.1.3.2: the root implied by the proof, or null. Index/size as BigInt. */
export function rootFromInclusionProof(index, size, path, leaf) {
  if (typeof index !== "bigint" || typeof size !== "bigint") return null;
  if (leaf.length !== HASH_SIZE || path.length > 64 || !path.every((p) => p.length === HASH_SIZE)) return null;
  if (index < 0n || size > MAX_TREE_SIZE || index >= size) return null;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return null;
    if (fn & 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

export function verifyInclusion(index, size, path, leaf, root) {
  const computed = rootFromInclusionProof(index, size, path, leaf);
  return computed !== null && root.length === HASH_SIZE && equalBytes(computed, root);
}

/** signed-note key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]. */
export function noteKeyId(name, publicKey) {
  if (!KEY_NAME_RE.test(name)) throw new Error("bad key name");
  return sha256(concatBytes(utf8(name), Uint8Array.of(0x0a, 0x01), publicKey)).subarray(0, KEY_ID_SIZE);
}

function parseSignatureLine(line) {
  const prefix = `${EM_DASH} `;
  if (!line.startsWith(prefix)) return null;
  const rest = line.slice(prefix.length);
  const space = rest.indexOf(" ");
  if (space < 0) return null;
  const name = rest.slice(0, space);
  if (!KEY_NAME_RE.test(name)) return null;
  const blob = fromBase64Strict(rest.slice(space + 1));
  if (blob === null || blob.length <= KEY_ID_SIZE) return null;
  return { name, keyId: blob.subarray(0, KEY_ID_SIZE), signature: blob.subarray(KEY_ID_SIZE) };
}

/**
 * Verify a signed note (bytes or string) against verifiers [{ name, publicKey }];
 * return its text bytes or null (checkpoints.py open_note). Never throws.
 */
export function openNote(note, verifiers) {
  try {
    const bytes = typeof note === "string" ? utf8(note) : note;
    if (bytes.length > MAX_NOTE_BYTES) return null;
    const decoded = fromUtf8(bytes);
    if (CONTROL_RE.test(decoded) || !decoded.endsWith("\n")) return null;
    const split = decoded.lastIndexOf("\n\n");
    if (split < 0) return null;
    const lines = decoded.slice(split + 2, -1).split("\n");
    if (lines.length > MAX_SIGNATURES) return null;
    const parsed = lines.map(parseSignatureLine);
    if (parsed.some((p) => p === null)) return null;
    const text = utf8(decoded.slice(0, split + 1));
    let verified = 0;
    for (const line of parsed) {
      for (const v of verifiers) {
        if (v.name !== line.name || !equalBytes(noteKeyId(v.name, v.publicKey), line.keyId)) continue;
        if (line.signature.length !== 64 || !verifyMessage(v.publicKey, text, line.signature)) return null;
        verified += 1;
      }
    }
    return verified === 0 ? null : text;
  } catch {
    return null;
  }
}

/** Parse a checkpoint body: { origin, treeSize (BigInt), rootHash }, or null. */
export function parseCheckpointBody(text) {
  let decoded;
  try {
    decoded = fromUtf8(text);
  } catch {
    return null;
  }
  const lines = decoded.split("\n");
  if (lines.length !== 4 || lines[3] !== "") return null;
  const [origin, sizeText, rootB64] = lines;
  if (!SIZE_RE.test(sizeText)) return null;
  const treeSize = BigInt(sizeText);
  const rootHash = fromBase64Strict(rootB64);
  if (treeSize > MAX_TREE_SIZE || rootHash === null || rootHash.length !== HASH_SIZE) return null;
  if (!origin || CONTROL_RE.test(origin) || origin !== origin.trim()) return null;
  return { origin, treeSize, rootHash };
}

/** A verified checkpoint for `expectedOrigin`, or null. */
export function openCheckpoint(note, verifiers, expectedOrigin) {
  const text = openNote(note, verifiers);
  if (text === null) return null;
  const checkpoint = parseCheckpointBody(text);
  if (checkpoint === null || checkpoint.origin !== expectedOrigin) return null;
  return checkpoint;
}

/**
 * ballots/board.py check_receipt: is the ballot `line` (canonical bytes) in the signed
 * checkpoint of `receipt` ({ ballot_hash, index, checkpoint, inclusion_path }) at its
 * index? `boardPublicKey` is keys.json board_public_key (hex), `origin` the manifest's
 * board_origin. Never throws.
 */
export function checkReceipt(receipt, line, boardPublicKey, origin) {
  try {
    const leaf = leafHash(line);
    if (toHex(leaf) !== receipt.ballot_hash) return false;
    const verifier = { name: origin, publicKey: fromHex(boardPublicKey, 32) };
    const checkpoint = openCheckpoint(receipt.checkpoint, [verifier], origin);
    if (checkpoint === null) return false;
    if (!Number.isSafeInteger(receipt.index) || !Array.isArray(receipt.inclusion_path)) return false;
    const path = receipt.inclusion_path.map((h) => fromHex(h));
    return verifyInclusion(BigInt(receipt.index), checkpoint.treeSize, path, leaf, checkpoint.rootHash);
  } catch {
    return false;
  }
}
