// The Fiat–Shamir transcript encoding of crypto/transcript.py, byte for byte:
// encode(label, f_1..f_k) = u32(len(label)) || label || u32(len(f_1)) || f_1 || ...
import { concatBytes, u32, utf8 } from "./bytes.js";

export const SCHNORR = utf8("stimmwerk/v1/proof/schnorr");
export const CHAUM_PEDERSEN = utf8("stimmwerk/v1/proof/chaum-pedersen");
export const ZERO_ONE = utf8("stimmwerk/v1/proof/zero-one");
export const RANGE = utf8("stimmwerk/v1/proof/range");
export const DKG_COMMITMENT = utf8("stimmwerk/v1/threshold/commitment");
export const DKG_SHARE = utf8("stimmwerk/v1/threshold/share");
export const PARTIAL_DECRYPTION = utf8("stimmwerk/v1/threshold/partial-decryption");
export const MAX_FIELD_LENGTH = 0xffffffff;

export { u32 };

/** `u32(len(label)) || label || (u32(len(f)) || f for each field f)`. */
export function encode(label, ...fields) {
  const parts = [];
  for (const field of [label, ...fields]) {
    if (!(field instanceof Uint8Array)) throw new Error("transcript fields are bytes");
    parts.push(u32(field.length), field);
  }
  return concatBytes(...parts);
}
