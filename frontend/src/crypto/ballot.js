// The ballot format (ballots/ballot_format.py) and the voter client
// (ballots/client.py): credential request/finish, encryption with proofs, signing,
// Benaloh audit.
import { fromHex, randomBytes, toHex } from "./bytes.js";
import { canonicalJson, domainHash } from "./canonical.js";
import { pointFromHex, randomScalar, scalarFromHex, scalarToHex } from "./group.js";
import { ciphertextFromJson, ciphertextToJson, encrypt } from "./elgamal.js";
import { disjunctiveToJson, proveRange, proveZeroOne, verifyOpening } from "./proofs.js";
import * as blindRsa from "./blindrsa.js";
import { generateSeed, labelledMessage, publicKeyOf, sign } from "./signing.js";
import { leafHash } from "./board.js";

export const CREDENTIAL_LABEL = "stimmwerk/credential/v1";
export const BALLOT_LABEL = "stimmwerk/ballot/v1";
export const CONTEXT_LABEL = "stimmwerk/ballot-context/v1";
export const MANIFEST_LABEL = "stimmwerk/manifest/v1";
export const SELECTION = -1;

/** The RFC 9474 msg the issuer signs blindly for one credential key. */
export function credentialMessage(electionId, publicKeyHex) {
  return labelledMessage(CREDENTIAL_LABEL, canonicalJson({ election: electionId, public_key: publicKeyHex }));
}

/** context(q, o) as 32 bytes. */
export function proofContext(manifestHashHex, credentialHex, question, option) {
  return domainHash(CONTEXT_LABEL, {
    manifest_hash: manifestHashHex,
    credential: credentialHex,
    question,
    option,
  });
}

/** What the credential key signs: the canonical ballot without "signature". */
export function signingPayload(ballot) {
  const rest = {};
  for (const [key, value] of Object.entries(ballot)) if (key !== "signature") rest[key] = value;
  return canonicalJson(rest);
}

/** The board leaf data = the bytes POSTed to the server. */
export const ballotLine = (ballot) => canonicalJson(ballot);

/** The receipt hash: RFC 9162 leaf hash of the line, hex. */
export const ballotHash = (line) => toHex(leafHash(line));

/** H("stimmwerk/manifest/v1", manifest) as hex. */
export const manifestHashHex = (manifest) => toHex(domainHash(MANIFEST_LABEL, manifest));

/**
 * The public election data from client-data's manifest and keys
 * (ballots/client.py election_keys_from_record): checks that keys.json belongs to
 * this manifest. Returns { manifest, manifestHash, electionId, questions, jointKey,
 * issuer, boardPublicKey, boardOrigin }.
 */
export function electionKeysFromRecord(manifest, keys) {
  const manifestHash = manifestHashHex(manifest);
  if (keys.manifest_hash !== manifestHash) throw new Error("keys.json belongs to another manifest");
  if (manifest.format === undefined || manifest.board_origin !== `stimmwerk/election/${manifest.election_id}`) {
    throw new Error("the board origin does not name this election");
  }
  const questions = manifest.questions.map((q) => {
    const question = {
      id: String(q.id),
      optionIds: q.options.map((o) => String(o.id)),
      min: q.min_selections,
      max: q.max_selections,
    };
    if (!(Number.isInteger(question.min) && Number.isInteger(question.max) && 0 <= question.min && question.min <= question.max && question.max <= question.optionIds.length)) {
      throw new Error(`question ${question.id}: selection bounds out of range`);
    }
    return question;
  });
  return Object.freeze({
    manifest,
    manifestHash,
    electionId: String(manifest.election_id),
    questions,
    jointKey: pointFromHex(keys.joint_public_key),
    issuer: blindRsa.parseSpki(keys.issuer.public_key_spki),
    boardPublicKey: keys.board_public_key ?? null,
    boardOrigin: manifest.board_origin,
  });
}

// --- credential ----------------------------------------------------------------------

/**
 * A fresh credential key and its blinded credential message.
 * Returns { electionId, seed, publicKeyHex, state } (state.blindedMsg goes to the server).
 */
export function requestCredential(issuer, electionId, { random = randomBytes, seed } = {}) {
  const key = seed ?? generateSeed(random);
  const publicKeyHex = toHex(publicKeyOf(key));
  const prepared = blindRsa.prepare(credentialMessage(electionId, publicKeyHex), { random });
  return { electionId, seed: key, publicKeyHex, state: blindRsa.blind(issuer, prepared, { random }) };
}

/** Unblind and verify the issuer's answer; returns { electionId, seed, publicKeyHex, prefix, signature }. */
export function finishCredential(issuer, request, blindSignature) {
  const signature = blindRsa.finalize(issuer, request.state, blindSignature);
  return {
    electionId: request.electionId,
    seed: request.seed,
    publicKeyHex: request.publicKeyHex,
    prefix: request.state.prepared.prefix,
    signature,
  };
}

/** JSON-storable form of a credential (hex strings) and back. */
export const credentialToJson = (c) => ({
  election_id: c.electionId,
  secret_key: toHex(c.seed),
  public_key: c.publicKeyHex,
  prefix: toHex(c.prefix),
  signature: toHex(c.signature),
});

export function credentialFromJson(value) {
  const seed = fromHex(value.secret_key, 32);
  const publicKeyHex = toHex(publicKeyOf(seed));
  if (value.public_key !== undefined && value.public_key !== publicKeyHex) throw new Error("credential key mismatch");
  return {
    electionId: value.election_id,
    seed,
    publicKeyHex,
    prefix: fromHex(value.prefix, 32),
    signature: fromHex(value.signature),
  };
}

// --- ballot ------------------------------------------------------------------------------

/** Selection vector for one question; throws on unknown/repeated options or bad count. */
export function selectionFor(question, chosen) {
  const set = new Set(chosen);
  if (set.size !== chosen.length || chosen.some((o) => !question.optionIds.includes(o))) {
    throw new Error(`question ${question.id}: unknown or repeated options`);
  }
  if (!(question.min <= chosen.length && chosen.length <= question.max)) {
    throw new Error(`question ${question.id}: choose between the allowed number of options`);
  }
  return question.optionIds.map((o) => (set.has(o) ? 1 : 0));
}

/** Are `choices` ({ questionId: [optionIds] }) valid for every question? */
export function validChoices(keys, choices) {
  try {
    for (const q of keys.questions) selectionFor(q, choices[q.id] ?? []);
    return true;
  } catch {
    return false;
  }
}

/**
 * Encrypt `choices` with all proofs. Returns { body, openings } where openings[q][o] is
 * [m, r]. Options: { random } (byte source) or { randomScalar } (nonce source);
 * nonces are drawn per question: all encryption nonces, then the proofs' nonces.
 */
export function encryptBallot(keys, credential, choices, options = {}) {
  const next = options.randomScalar ?? (() => randomScalar(options.random ?? randomBytes));
  const answers = [];
  const openings = [];
  keys.questions.forEach((question, q) => {
    const plain = selectionFor(question, choices[question.id] ?? []);
    const opened = plain.map((m) => [m, next()]);
    const ciphertexts = opened.map(([m, r]) => encrypt(keys.jointKey, m, r));
    const optionProofs = ciphertexts.map((c, o) =>
      proveZeroOne(keys.jointKey, c, opened[o][0], opened[o][1], proofContext(keys.manifestHash, credential.publicKeyHex, q, o), { randomScalar: next }),
    );
    const selection = proveRange(
      keys.jointKey,
      ciphertexts,
      opened,
      [question.min, question.max],
      proofContext(keys.manifestHash, credential.publicKeyHex, q, SELECTION),
      { randomScalar: next },
    );
    answers.push({
      question: question.id,
      ciphertexts: ciphertexts.map(ciphertextToJson),
      option_proofs: optionProofs.map(disjunctiveToJson),
      selection_proof: disjunctiveToJson(selection),
    });
    openings.push(opened);
  });
  const body = {
    election_id: keys.electionId,
    manifest_hash: keys.manifestHash,
    credential: {
      public_key: credential.publicKeyHex,
      prefix: toHex(credential.prefix),
      signature: toHex(credential.signature),
    },
    answers,
  };
  return { body, openings };
}

/** The ballot to cast: body + Ed25519 signature (label stimmwerk/ballot/v1). */
export function signBallot(sealed, credential) {
  const body = { ...sealed.body };
  body.signature = toHex(sign(credential.seed, BALLOT_LABEL, signingPayload(body)));
  return body;
}

export const makeBallot = (keys, credential, choices, options) =>
  signBallot(encryptBallot(keys, credential, choices, options), credential);

/** Benaloh reveal: openings as [m, r hex]. The sealed ballot must never be cast. */
export const spoil = (sealed) => ({
  body: sealed.body,
  openings: sealed.openings.map((row) => row.map(([m, r]) => [m, scalarToHex(r)])),
});

/**
 * Check a spoiled ballot's openings (client.py verify_audit): returns the choices it
 * encrypts ({ questionId: [optionIds] }), or null if any opening fails.
 */
export function verifyAudit(keys, reveal) {
  try {
    const answers = reveal.body.answers;
    if (answers.length !== keys.questions.length || reveal.openings.length !== keys.questions.length) return null;
    const choices = {};
    for (let q = 0; q < keys.questions.length; q++) {
      const question = keys.questions[q];
      const row = reveal.openings[q];
      const ciphertexts = answers[q].ciphertexts.map((c) => ciphertextFromJson(c));
      if (ciphertexts.length !== row.length || row.length !== question.optionIds.length) return null;
      for (let o = 0; o < row.length; o++) {
        const [m, rHex] = row[o];
        if (m !== 0 && m !== 1) return null;
        if (!verifyOpening(keys.jointKey, ciphertexts[o], m, scalarFromHex(rHex))) return null;
      }
      choices[question.id] = question.optionIds.filter((_, o) => row[o][0] === 1);
    }
    return choices;
  } catch {
    return null;
  }
}

