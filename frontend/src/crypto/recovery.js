// Credential recovery (ballots/recovery.py): the credential key and every random value
// of the blind-signature request are derived from a short secret the member's browser
// makes and shows as the "Wiederherstellungscode". On a second device the same code
// gives the identical blinded request, and the server answers it with the blind
// signature it stored for that request (as for any retry): it learns nothing new, and
// one member still has exactly one credential. docs/protocol.md §2.4 argues the design.
//
// code:      15 random bytes, RFC 4648 base32 (A-Z, 2-7), shown in six groups of four.
// derive:    HKDF-SHA256(ikm = code bytes, salt = RECOVERY_SALT,
//            info = utf8(election id) || 0x00 || utf8(purpose)), purposes:
//            "seed" (32 bytes, Ed25519 seed), "prefix" (32, RFC 9474 msg_prefix),
//            "salt" (48, EMSA-PSS salt), "blind" (modulus_len + 32, r = int_be mod n).
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToBigIntBE, concatBytes, randomBytes, toHex, utf8 } from "./bytes.js";
import * as blindRsa from "./blindrsa.js";
import { credentialMessage } from "./ballot.js";
import { publicKeyOf } from "./signing.js";

export const RECOVERY_SALT = utf8("stimmwerk/credential-recovery/v1");
export const CODE_BYTES = 15;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** 15 random bytes as "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX". */
export function newRecoveryCode(random = randomBytes) {
  return formatCode(random(CODE_BYTES));
}

export function formatCode(bytes) {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g).join("-");
}

/** The code's 15 bytes, or null. Ignores case, spaces and dashes; reads 0 as O, 1 as I, 8 as B. */
export function parseCode(text) {
  const cleaned = String(text).toUpperCase().replace(/[\s-]/g, "").replace(/0/g, "O").replace(/1/g, "I").replace(/8/g, "B");
  if (cleaned.length !== 24 || [...cleaned].some((ch) => !ALPHABET.includes(ch))) return null;
  const out = new Uint8Array(CODE_BYTES);
  let bits = 0;
  let value = 0;
  let i = 0;
  for (const ch of cleaned) {
    value = (value << 5) | ALPHABET.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out[i++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
      value &= (1 << bits) - 1;
    }
  }
  return out;
}

/** HKDF-SHA256 output for one purpose. */
export function deriveBytes(codeBytes, electionId, purpose, length) {
  const info = concatBytes(utf8(electionId), Uint8Array.of(0), utf8(purpose));
  return hkdf(sha256, codeBytes, RECOVERY_SALT, info, length);
}

/**
 * The credential request derived from the code: the same { electionId, seed,
 * publicKeyHex, state } as requestCredential, but reproducible on any device.
 */
export function recoverableRequest(issuer, electionId, codeBytes) {
  const seed = deriveBytes(codeBytes, electionId, "seed", 32);
  const publicKeyHex = toHex(publicKeyOf(seed));
  const prefix = deriveBytes(codeBytes, electionId, "prefix", blindRsa.PREFIX_LEN);
  const prepared = blindRsa.prepare(credentialMessage(electionId, publicKeyHex), { prefix });
  const salt = deriveBytes(codeBytes, electionId, "salt", blindRsa.SALT_LEN);
  const r = bytesToBigIntBE(deriveBytes(codeBytes, electionId, "blind", issuer.modulusLen + 32)) % issuer.n;
  if (r === 0n) throw new Error("derived blind is zero");
  return { electionId, seed, publicKeyHex, state: blindRsa.blindWith(issuer, prepared, salt, r) };
}
