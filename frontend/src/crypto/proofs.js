// Zero-knowledge proofs exactly as crypto/proofs/ (compact form: challenges and
// responses only). Provers take `{ randomScalar }` (a function returning a BigInt
// nonce, like Python's random_scalar=) or `{ random }` (a byte source); verifiers
// return booleans and never throw.
import {
  ZERO_ONE as ZERO_ONE_LABEL,
  RANGE as RANGE_LABEL,
  SCHNORR,
  CHAUM_PEDERSEN,
  MAX_FIELD_LENGTH,
  u32,
} from "./transcript.js";
import {
  baseMul,
  hashToScalar,
  mod,
  mul,
  pointEncode,
  pointEquals,
  randomScalar as drawScalar,
  scalarFromHex,
  scalarToHex,
  sub,
} from "./group.js";
import { aggregate, encodePlaintext, encrypt } from "./elgamal.js";
import { randomBytes } from "./bytes.js";

export const MAX_BRANCHES = 256;

function nonceSource(options = {}) {
  if (options.randomScalar) return options.randomScalar;
  const random = options.random ?? randomBytes;
  return () => drawScalar(random);
}

function shiftedBetas(beta, values) {
  return values.map((v) => (v === 0 ? beta : sub(beta, encodePlaintext(v))));
}

function simulatorCommitments(key, alpha, shifted, challenge, response) {
  const first = sub(baseMul(response), mul(alpha, challenge));
  const second = sub(mul(key, response), mul(shifted, challenge));
  return [pointEncode(first), pointEncode(second)];
}

function proveDisjunctive(label, fields, key, ciphertext, values, plaintext, nonce, next) {
  const real = values.indexOf(plaintext);
  if (real < 0) throw new Error("the statement is false: no proof exists");
  const blinding = next();
  const challenges = [];
  const responses = [];
  const commitments = [];
  shiftedBetas(ciphertext.beta, values).forEach((shifted, index) => {
    if (index === real) {
      challenges.push(0n);
      responses.push(0n);
      commitments.push(pointEncode(baseMul(blinding)), pointEncode(mul(key, blinding)));
    } else {
      const challenge = next();
      const response = next();
      challenges.push(challenge);
      responses.push(response);
      commitments.push(...simulatorCommitments(key, ciphertext.alpha, shifted, challenge, response));
    }
  });
  let realChallenge = hashToScalar(label, ...fields, ...commitments);
  for (const c of challenges) realChallenge = mod(realChallenge - c);
  challenges[real] = realChallenge;
  responses[real] = mod(blinding + realChallenge * nonce);
  return { challenges, responses };
}

function checkDisjunctive(label, fields, key, ciphertext, values, proof) {
  if (proof.challenges.length !== values.length || proof.responses.length !== values.length) {
    return false;
  }
  const shifted = shiftedBetas(ciphertext.beta, values);
  const commitments = [];
  let total = 0n;
  proof.challenges.forEach((c, index) => {
    commitments.push(...simulatorCommitments(key, ciphertext.alpha, shifted[index], c, proof.responses[index]));
    total = mod(total + c);
  });
  return total === hashToScalar(label, ...fields, ...commitments);
}

const zeroOneFields = (key, c, context) => [context, pointEncode(key), pointEncode(c.alpha), pointEncode(c.beta)];

/** Prove that `ciphertext = encrypt(key, plaintext, nonce)` with plaintext 0 or 1. */
export function proveZeroOne(key, ciphertext, plaintext, nonce, context, options) {
  const fields = zeroOneFields(key, ciphertext, context);
  return proveDisjunctive(ZERO_ONE_LABEL, fields, key, ciphertext, [0, 1], Number(plaintext), nonce, nonceSource(options));
}

export function verifyZeroOne(key, ciphertext, proof, context) {
  try {
    return checkDisjunctive(ZERO_ONE_LABEL, zeroOneFields(key, ciphertext, context), key, ciphertext, [0, 1], proof);
  } catch {
    return false;
  }
}

function rangeValues(minimum, maximum) {
  if (!(Number.isInteger(minimum) && Number.isInteger(maximum)) || !(0 <= minimum && minimum <= maximum && maximum <= MAX_FIELD_LENGTH)) {
    throw new Error("need 0 ≤ min ≤ max < 2^32");
  }
  if (maximum - minimum + 1 > MAX_BRANCHES) throw new Error(`a range proof has at most ${MAX_BRANCHES} allowed values`);
  const values = [];
  for (let v = minimum; v <= maximum; v++) values.push(v);
  return values;
}

function rangeFields(key, ciphertexts, values, context) {
  const fields = [context, pointEncode(key), u32(values[0]), u32(values[values.length - 1]), u32(ciphertexts.length)];
  for (const c of ciphertexts) fields.push(pointEncode(c.alpha), pointEncode(c.beta));
  return fields;
}

/**
 * Prove that the homomorphic sum of `ciphertexts` encrypts a value in [min, max].
 * `openings[i]` is [m_i, r_i]; `bounds` is [min, max].
 */
export function proveRange(key, ciphertexts, openings, bounds, context, options) {
  if (openings.length !== ciphertexts.length) throw new Error("one opening per ciphertext");
  const values = rangeValues(bounds[0], bounds[1]);
  let totalNonce = 0n;
  let totalPlain = 0;
  for (const [m, r] of openings) {
    totalNonce = mod(totalNonce + r);
    totalPlain += Number(m);
  }
  const fields = rangeFields(key, ciphertexts, values, context);
  return proveDisjunctive(RANGE_LABEL, fields, key, aggregate(ciphertexts), values, totalPlain, totalNonce, nonceSource(options));
}

export function verifyRange(key, ciphertexts, bounds, proof, context) {
  try {
    const values = rangeValues(bounds[0], bounds[1]);
    if (proof.challenges.length !== values.length) return false;
    const fields = rangeFields(key, ciphertexts, values, context);
    return checkDisjunctive(RANGE_LABEL, fields, key, aggregate(ciphertexts), values, proof);
  } catch {
    return false;
  }
}

/** Benaloh audit: does (plaintext, nonce) reproduce the ciphertext? */
export function verifyOpening(key, ciphertext, plaintext, nonce) {
  try {
    const expected = encrypt(key, plaintext, nonce);
    return pointEquals(expected.alpha, ciphertext.alpha) && pointEquals(expected.beta, ciphertext.beta);
  } catch {
    return false;
  }
}

// --- two-scalar proofs (for the trustee page) ------------------------------------

/** Schnorr proof of knowledge of `secret` for X = g^secret (crypto/proofs/_schnorr.py). */
export function proveDlog(secret, context, options) {
  const nonce = nonceSource(options)();
  const challenge = hashToScalar(SCHNORR, context, pointEncode(baseMul(secret)), pointEncode(baseMul(nonce)));
  return { challenge, response: mod(nonce + challenge * secret) };
}

export function verifyDlog(publicPoint, proof, context) {
  try {
    if (publicPoint.is0()) return false;
    const commitment = sub(baseMul(proof.response), mul(publicPoint, proof.challenge));
    return proof.challenge === hashToScalar(SCHNORR, context, pointEncode(publicPoint), pointEncode(commitment));
  } catch {
    return false;
  }
}

function cpChallenge(context, ...points) {
  return hashToScalar(CHAUM_PEDERSEN, context, ...points.map(pointEncode));
}

/** Chaum–Pedersen: log_g(g^secret) == log_base(image) (crypto/proofs/_dleq.py). */
export function proveEqualDlogs(secret, base, image, context, options) {
  const nonce = nonceSource(options)();
  const challenge = cpChallenge(context, baseMul(secret), base, image, baseMul(nonce), mul(base, nonce));
  return { challenge, response: mod(nonce + challenge * secret) };
}

export function verifyEqualDlogs(publicPoint, base, image, proof, context) {
  try {
    const first = sub(baseMul(proof.response), mul(publicPoint, proof.challenge));
    const second = sub(mul(base, proof.response), mul(image, proof.challenge));
    return proof.challenge === cpChallenge(context, publicPoint, base, image, first, second);
  } catch {
    return false;
  }
}

// --- JSON forms (ballots/codec.py) ------------------------------------------------

export const disjunctiveToJson = (p) => ({
  challenges: p.challenges.map(scalarToHex),
  responses: p.responses.map(scalarToHex),
});

function exactObject(value, keys) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("expected an object");
  const have = Object.keys(value).sort();
  const want = [...keys].sort();
  if (have.length !== want.length || have.some((k, i) => k !== want[i])) {
    throw new Error(`expected an object with exactly the fields ${keys.join(", ")}`);
  }
  return value;
}

function exactList(value, length) {
  if (!Array.isArray(value) || value.length !== length) throw new Error(`expected a list of ${length} items`);
  return value;
}

export function disjunctiveFromJson(value, branches) {
  const fields = exactObject(value, ["challenges", "responses"]);
  return {
    challenges: exactList(fields.challenges, branches).map(scalarFromHex),
    responses: exactList(fields.responses, branches).map(scalarFromHex),
  };
}

export const twoScalarProofToJson = (p) => ({ challenge: scalarToHex(p.challenge), response: scalarToHex(p.response) });

export function twoScalarProofFromJson(value) {
  const fields = exactObject(value, ["challenge", "response"]);
  return { challenge: scalarFromHex(fields.challenge), response: scalarFromHex(fields.response) };
}

export { exactObject, exactList };
