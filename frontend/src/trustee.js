// The trustee's side of the key ceremony and the decryption, in the browser.
//
// Mirrors ballots/trustee_tool.py and crypto/threshold/ byte for byte: the trustee's
// secrets (X25519 sealing key, dealing polynomial, key share x_j) are made and kept in
// this browser; the server (referendums/commission/api.py, docs/ballots/web-api.md
// "Commission API") only gets what ballots.services accepts.
//
// Exported (pure, no DOM; used by the page below and by tests/js/trustee_harness.mjs):
//   sealingKeyPair(random?) -> { secretKey, publicKey } (32-byte X25519, like PyNaCl)
//   signingKeyPair(sealingSecret) -> { seed, publicKey } (Ed25519, record §2.1: the seed is
//     SHA-256("stimmwerk/trustee-signing-key/v3" || 0x00 || sealing secret), as
//     ballots/keyfile.py signing_seed, so every backup of the sealing key restores it)
//   ceremonyContext(fingerprintHex, signingKeysHex) -> 32 bytes (record §2.1)
//   postalLinePayload(fingerprintHex, step, line) / signPostalLine(seed, fingerprintHex, step, line)
//     (record §7.3; line = { envelopes, questions: [{ counts, invalid }] })
//   boxBeforenm(publicKey, secretKey) -> 32-byte crypto_box key (HSalsa20 of X25519)
//   sealedBoxSeal(message, recipientPublicKey, random?) / sealedBoxOpen(box, pk, sk)
//     (libsodium crypto_box_seal: epk || XSalsa20-Poly1305 box, nonce = BLAKE2b-192(epk||pk))
//   params(doc) -> { threshold, trustees, context }
//   ceremonyParams(doc) -> params with the fingerprint recomputed here (record v3)
//   electionFingerprint(manifest, issuerSpkiHex, boardKeyHex) -> 32 bytes (record §2)
//   checkStatement(task, share) -> { problems, figures } (record §7, before signing)
//   decryptionParams(task) -> params with context H(statement) (record v3)
//   dealShares(params, dealer, sealingKeys {index: hex}, opts?) -> { coefficients, body }
//   openShares(params, me, sealingSecret, shares) -> { share, complaints }
//   partialDecryptions(task, share, opts?) -> [[{ value, proof }]]
//   encryptBackup(secrets, passphrase, opts?) / decryptBackup(backup, passphrase)
//
// Secrets object (what the backup holds): { format: "stimmwerk-trustee-secrets/v1",
//   election_id, trustee, sealing_key: hex, coefficients: [hex scalar], share: hex|null }.
//
// Backup file format "stimmwerk-trustee-backup/v1" (JSON):
//   { format, election_id, trustee,
//     kdf: { name: "PBKDF2-SHA-256", iterations: 600000, salt: hex(16) },
//     cipher: { name: "AES-256-GCM", nonce: hex(12) },
//     ciphertext: base64 }   // AES-GCM of the canonical-ish JSON of the secrets object,
//                            // AAD = utf8(format + "|" + election_id + "|" + trustee)
// The key is PBKDF2-HMAC-SHA-256(passphrase (UTF-8, NFC), salt, iterations, 32 bytes);
// both run on WebCrypto. A copy of the (unencrypted) secrets object is kept in this
// browser's localStorage under "stimmwerk-trustee:<election_id>:<trustee>" so the steps
// can continue after a reload; the backup file is what survives a lost browser.
import { x25519 } from "@noble/curves/ed25519.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { sha256 } from "@noble/hashes/sha2.js";
import * as c from "./crypto/index.js";

export const SECRETS_FORMAT = "stimmwerk-trustee-secrets/v1";
export const BACKUP_FORMAT = "stimmwerk-trustee-backup/v1";
export const PBKDF2_ITERATIONS = 600000;
const KEY_BYTES = 32;
const SEAL_OVERHEAD = 48; // ephemeral key + Poly1305 tag

// -- X25519 sealed boxes (libsodium crypto_box_seal) -----------------------------------

export function sealingKeyPair(random = c.randomBytes) {
  const secretKey = random(KEY_BYTES);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

const SIGMA = new Uint32Array(new Uint8Array(c.utf8("expand 32-byte k")).buffer);

function words(bytes) {
  const out = new Uint32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i += 1) out[i] = view.getUint32(4 * i, true);
  return out;
}

function wordBytes(w) {
  const out = new Uint8Array(w.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < w.length; i += 1) view.setUint32(4 * i, w[i], true);
  return out;
}

/** crypto_box_beforenm: HSalsa20(X25519(sk, pk), 0^16). Throws on a small-order key. */
export function boxBeforenm(publicKey, secretKey) {
  const shared = x25519.getSharedSecret(secretKey, publicKey);
  if (shared.every((b) => b === 0)) throw new Error("small-order public key");
  const out = new Uint32Array(8);
  hsalsa(SIGMA, words(shared), new Uint32Array(4), out);
  return wordBytes(out);
}

function sealNonce(ephemeral, recipient) {
  return blake2b(c.concatBytes(ephemeral, recipient), { dkLen: 24 });
}

export function sealedBoxSeal(message, recipientPublicKey, random = c.randomBytes) {
  const ephemeral = sealingKeyPair(random);
  const key = boxBeforenm(recipientPublicKey, ephemeral.secretKey);
  const box = xsalsa20poly1305(key, sealNonce(ephemeral.publicKey, recipientPublicKey)).encrypt(message);
  return c.concatBytes(ephemeral.publicKey, box);
}

/** Open a sealed box; returns null if it does not open. */
export function sealedBoxOpen(sealed, publicKey, secretKey) {
  if (sealed.length < SEAL_OVERHEAD) return null;
  const ephemeral = sealed.slice(0, KEY_BYTES);
  try {
    const key = boxBeforenm(ephemeral, secretKey);
    return xsalsa20poly1305(key, sealNonce(ephemeral, publicKey)).decrypt(sealed.slice(KEY_BYTES));
  } catch {
    return null;
  }
}

// -- the dealing (crypto/threshold/_dealing.py) ------------------------------------------

export function params(doc) {
  return { threshold: doc.threshold, trustees: doc.trustees, context: c.fromHex(doc.context, 32) };
}

// -- record v3: the election fingerprint and the outcome statement (docs/election-record.md) --

export const MANIFEST_LABEL = "stimmwerk/manifest/v1";
export const FINGERPRINT_LABEL = "stimmwerk/election-fingerprint/v3";
export const STATEMENT_LABEL = "stimmwerk/outcome-statement/v3";
export const ISSUER_VARIANT = "RSABSSA-SHA384-PSS-Randomized";
export const CEREMONY_LABEL = "stimmwerk/ceremony-context/v3";
export const POSTAL_LINE_LABEL = "stimmwerk/postal-line/v3";
export const SIGNING_SEED_LABEL = "stimmwerk/trustee-signing-key/v3";

/** §2.1: the trustee's Ed25519 key for the postal line, derived from the sealing secret. */
export function signingKeyPair(sealingSecret) {
  const seed = sha256(c.concatBytes(c.utf8(SIGNING_SEED_LABEL), Uint8Array.of(0), sealingSecret));
  return { seed, publicKey: c.publicKeyOf(seed) };
}

/** §2.1: the dealers' proof context when every trustee registered a signing key. */
export function ceremonyContext(fingerprintHex, signingKeysHex) {
  return c.domainHash(CEREMONY_LABEL, { fingerprint: fingerprintHex, signing_keys: signingKeysHex });
}

/** §7.3: canonical JSON of what a trustee signs to enter or confirm the postal line. */
export function postalLinePayload(fingerprintHex, step, line) {
  return c.canonicalJson({
    fingerprint: fingerprintHex,
    step,
    envelopes: line.envelopes,
    questions: line.questions.map((q) => ({ counts: q.counts, invalid: q.invalid })),
  });
}

export function signPostalLine(seed, fingerprintHex, step, line) {
  return c.sign(seed, POSTAL_LINE_LABEL, postalLinePayload(fingerprintHex, step, line));
}

/** The signing keys listed by the server, in index order 1..n, or [] (none registered). */
function listedSigningKeys(doc, trustees) {
  const keys = doc.signing_keys || {};
  if (!Object.keys(keys).length) return [];
  return Array.from({ length: trustees }, (_, i) => keys[String(i + 1)] || null);
}

/** §2: H(fingerprint label, {manifest_hash, issuer, board_public_key}), from the manifest itself. */
export function electionFingerprint(manifest, issuerSpkiHex, boardPublicKeyHex) {
  const manifestHash = c.toHex(c.domainHash(MANIFEST_LABEL, manifest));
  return c.domainHash(FINGERPRINT_LABEL, {
    manifest_hash: manifestHash,
    issuer: { variant: ISSUER_VARIANT, public_key_spki: issuerSpkiHex },
    board_public_key: boardPublicKeyHex,
  });
}

/**
 * The key ceremony's parameters. For a v3 election the context is recomputed here, never
 * the server's word: from the fingerprint (manifest, issuer key, board key) and, once
 * every trustee registered one, all signing keys (§2.1). ``mySigningKeyHex`` (this
 * trustee's own key) must be listed at ``me``: else the browser refuses to deal or check.
 */
export function ceremonyParams(doc, me, mySigningKeyHex) {
  if (!doc.fingerprint) return params(doc);
  const fingerprint = electionFingerprint(doc.manifest, doc.issuer.public_key_spki, doc.board_public_key);
  if (c.toHex(fingerprint) !== doc.fingerprint) {
    throw new Error("the election fingerprint does not match the manifest and keys");
  }
  const keys = listedSigningKeys(doc, doc.trustees);
  if (mySigningKeyHex !== undefined && keys[me - 1] !== mySigningKeyHex) {
    throw new Error("the key ceremony does not list my own signing key");
  }
  const context = keys.length && keys.every(Boolean) ? ceremonyContext(doc.fingerprint, keys) : fingerprint;
  if (c.toHex(context) !== doc.context) throw new Error("the ceremony context is not the one recomputed here");
  return { threshold: doc.threshold, trustees: doc.trustees, context, fingerprint: doc.fingerprint };
}

/** RFC 9162 Merkle root over hex entries (leaf data = the entry bytes). */
export function merkleRoot(entriesHex) {
  const stack = []; // [size, hash] of complete subtrees, largest first
  for (const entry of entriesHex) {
    let node = [1, c.leafHash(c.fromHex(entry, 32))];
    while (stack.length && stack[stack.length - 1][0] === node[0]) {
      const left = stack.pop();
      node = [left[0] * 2, c.nodeHash(left[1], node[1])];
    }
    stack.push(node);
  }
  if (!stack.length) return sha256Empty();
  let root = stack.pop()[1];
  while (stack.length) root = c.nodeHash(stack.pop()[1], root);
  return root;
}

function sha256Empty() {
  return c.fromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 32);
}

/** §7 "Postal line", rules P1–P6; the problems found. */
export function postalProblems(manifest, statement, postalVoters) {
  const postal = statement.postal;
  const problems = [];
  const envelopes = postal.envelopes;
  if (!(Number.isSafeInteger(envelopes) && envelopes >= 0 && envelopes <= postalVoters)) problems.push("P2 envelopes");
  if (postal.questions.length !== manifest.questions.length) return [...problems, "P0 questions"];
  manifest.questions.forEach((question, q) => {
    const { counts, invalid } = postal.questions[q];
    const valid = envelopes - invalid;
    const numbers = [...counts, invalid];
    const sum = counts.reduce((a, b) => a + b, 0);
    if (counts.length !== question.options.length || numbers.some((n) => !Number.isSafeInteger(n) || n < 0)) problems.push(`P1 q${q}`);
    else if (valid < 0) problems.push(`P3 q${q}`);
    else if (counts.some((n) => n > valid)) problems.push(`P4 q${q}`);
    else if (question.min_selections === 1 && question.max_selections === 1 && sum !== valid) problems.push(`P5 q${q}`);
    else if (sum > question.max_selections * valid) problems.push(`P6 q${q}`);
  });
  return problems;
}

/**
 * Recompute and check the outcome statement before signing it (record v3 §7): the
 * fingerprint from manifest and keys, every dealer's proof bound to it, this trustee's
 * share, the roll root and counts, the issuance root, the final checkpoint's signature
 * under the board key, ballots ≤ credentials ≤ online eligible, the postal arithmetic
 * and its two confirmations. Returns { problems, figures }; sign only without problems.
 */
export function checkStatement(task, share, mySigningKeyHex) {
  const { statement, evidence } = task;
  const problems = [];
  const manifest = evidence.manifest;
  const fingerprint = electionFingerprint(manifest, evidence.issuer_spki, evidence.board_public_key);
  if (statement.fingerprint !== c.toHex(fingerprint)) problems.push("fingerprint");
  const signingKeys = evidence.dealings.map((d) => d.signing_key || null);
  const signed = signingKeys.some(Boolean);
  let context = fingerprint;
  if (signed) {
    if (!signingKeys.every(Boolean) || new Set(signingKeys).size !== signingKeys.length) problems.push("signing keys");
    else context = ceremonyContext(c.toHex(fingerprint), signingKeys);
  }
  // Hiding every signing key (to pass off an unsigned postal line) breaks the dealer
  // proofs below, which were made over the keys; an election keyed before signing keys
  // has none at all.
  if (signed && mySigningKeyHex !== undefined && signingKeys[task.trustee - 1] !== mySigningKeyHex) problems.push("my signing key");
  const p = { threshold: manifest.trustees.threshold, trustees: manifest.trustees.n, context };
  const points = evidence.dealings.map((d) => commitmentsFromJson(d, p));
  const proven = evidence.dealings.length === p.trustees && evidence.dealings.every((d, i) =>
    d.index === i + 1 && c.verifyDlog(points[i][0], c.twoScalarProofFromJson(d.proof), pokContext(p, d.index, points[i])));
  if (!proven) problems.push("key ceremony proofs");
  else {
    let key = c.IDENTITY;
    for (let k = p.threshold - 1; k >= 0; k -= 1) {
      let sum = c.IDENTITY;
      for (const list of points) sum = c.add(sum, list[k]);
      key = c.add(c.mul(key, BigInt(task.trustee)), sum);
    }
    if (!c.pointEquals(key, c.baseMul(share))) problems.push("my key share");
    if (signed) {
      let joint = c.IDENTITY;
      for (const list of points) joint = c.add(joint, list[0]);
      if (statement.joint_public_key !== c.pointToHex(joint)) problems.push("joint key");
    }
  }
  const roll = statement.roll;
  const entries = evidence.roll_entries;
  if (roll.commitment !== c.toHex(merkleRoot(entries)) || roll.commitment !== evidence.roll_commitment) problems.push("roll commitment");
  if (roll.eligible !== evidence.eligible || roll.postal !== evidence.postal || roll.online !== entries.length || entries.length !== evidence.eligible - evidence.postal) problems.push("roll counts");
  const issued = evidence.issued_entries;
  const onRoll = new Set(entries);
  if (issued.some((e, i) => (i > 0 && e <= issued[i - 1]) || !onRoll.has(e))) problems.push("issuance list");
  if (statement.issuance.root !== c.toHex(merkleRoot(issued)) || statement.issuance.issued !== issued.length) problems.push("issuance root");
  const origin = manifest.board_origin;
  const checkpoint = c.openCheckpoint(evidence.final_checkpoint, [{ name: origin, publicKey: c.fromHex(evidence.board_public_key, 32) }], origin);
  if (checkpoint === null) problems.push("board checkpoint signature");
  else {
    if (BigInt(statement.board.size) !== checkpoint.treeSize || statement.board.root !== c.toHex(checkpoint.rootHash)) problems.push("board");
    if (!(statement.board.size <= issued.length && issued.length <= entries.length)) problems.push("ballots ≤ credentials ≤ online eligible");
  }
  problems.push(...postalProblems(manifest, statement, evidence.postal));
  const confirmations = statement.postal.confirmations;
  const steps = confirmations.map((x) => x.step).join(",");
  const members = new Set(confirmations.map((x) => (signed ? x.trustee : x.member)));
  if (evidence.postal ? steps !== "entered,confirmed" || members.size !== 2 : steps !== "") problems.push("postal confirmations");
  if (signed && "joint_public_key" in statement) {
    // §7.3: each confirmation is the named trustee's signature of exactly this line.
    const good = confirmations.every((x) => {
      const key = signingKeys[x.trustee - 1];
      if (!Number.isSafeInteger(x.trustee) || !key) return false;
      const payload = postalLinePayload(statement.fingerprint, x.step, statement.postal);
      return c.verify(c.fromHex(key, 32), POSTAL_LINE_LABEL, payload, c.fromHex(x.signature, 64));
    });
    if (!good) problems.push("postal signatures");
  } else if (signed) problems.push("statement without joint key and signatures");
  const figures = {
    fingerprint: statement.fingerprint,
    eligible: roll.eligible,
    online: roll.online,
    postal: roll.postal,
    issued: statement.issuance.issued,
    ballots: statement.board.size,
    envelopes: statement.postal.envelopes,
  };
  return { problems, figures };
}

/** The partial decryptions' parameters: v3 binds H(statement), computed here. */
export function decryptionParams(task) {
  if (!task.statement) return params(task);
  return { threshold: task.threshold, trustees: task.trustees, context: c.domainHash(STATEMENT_LABEL, task.statement) };
}

function pokContext(p, dealer, points) {
  return c.transcript.encode(
    c.transcript.DKG_COMMITMENT,
    p.context,
    c.u32(p.threshold),
    c.u32(p.trustees),
    c.u32(dealer),
    ...points.map(c.pointEncode),
  );
}

/** f(j) by Horner's rule, mod L. */
export function shareFor(coefficients, recipient) {
  let share = 0n;
  for (let k = coefficients.length - 1; k >= 0; k -= 1) share = c.mod(share * BigInt(recipient) + coefficients[k]);
  return share;
}

function shareFrame(p, dealer, recipient) {
  return c.concatBytes(c.transcript.encode(c.transcript.DKG_SHARE, p.context, c.u32(dealer), c.u32(recipient)), c.u32(32));
}

/** Π_k C_k^{j^k} by Horner's rule on the points. */
export function shareImage(points, recipient) {
  let image = points[points.length - 1];
  for (let k = points.length - 2; k >= 0; k -= 1) image = c.add(c.mul(image, BigInt(recipient)), points[k]);
  return image;
}

/**
 * Draw the polynomial, commit with proof, seal one share per trustee.
 * Returns the secret coefficients (keep them) and the body for POST .../ceremony/dealing.
 */
export function dealShares(p, dealer, sealingKeys, { random = c.randomBytes, randomScalar } = {}) {
  const draw = randomScalar || (() => c.randomScalar(random));
  const coefficients = Array.from({ length: p.threshold }, () => draw());
  const points = coefficients.map(c.baseMul);
  const proof = c.proveDlog(coefficients[0], pokContext(p, dealer, points), { randomScalar: draw });
  const sealed = {};
  for (let j = 1; j <= p.trustees; j += 1) {
    const key = sealingKeys[String(j)];
    if (!key) throw new Error(`no sealing key for trustee ${j}`);
    const plain = c.concatBytes(shareFrame(p, dealer, j), c.scalarEncode(shareFor(coefficients, j)));
    sealed[String(j)] = c.toHex(sealedBoxSeal(plain, c.fromHex(key, 32), random));
  }
  return {
    coefficients,
    body: {
      commitments: { index: dealer, commitments: points.map(c.pointToHex), proof: c.twoScalarProofToJson(proof) },
      sealed,
    },
  };
}

function commitmentsFromJson(json, p) {
  if (json.commitments.length !== p.threshold) throw new Error("wrong number of commitments");
  return json.commitments.map((h) => c.pointFromHex(h));
}

/**
 * Open and check every share received (GET .../ceremony/shares). Returns the key share
 * x_j (sum of the good shares) if all are good, and the complaints to submit otherwise
 * (evidence: the box key of the one bad box, or null for a malformed box).
 */
export function openShares(p, me, sealingSecret, shares) {
  const publicKey = x25519.getPublicKey(sealingSecret);
  const complaints = [];
  let total = 0n;
  const expected = SEAL_OVERHEAD + shareFrame(p, 1, 1).length + 32;
  for (const item of shares) {
    if (item.recipient !== me) throw new Error("a share for another trustee");
    const points = commitmentsFromJson(item.commitments, p);
    const sealed = c.fromHex(item.sealed);
    let boxKey = null;
    let good = false;
    if (sealed.length === expected) {
      try {
        boxKey = boxBeforenm(sealed.slice(0, KEY_BYTES), sealingSecret);
      } catch {
        boxKey = null; // small-order ephemeral key: malformed on its face
      }
      const plain = boxKey && sealedBoxOpen(sealed, publicKey, sealingSecret);
      const frame = shareFrame(p, item.dealer, me);
      if (plain && plain.length === frame.length + 32 && c.equalBytes(plain.slice(0, frame.length), frame)) {
        try {
          const share = c.scalarDecode(plain.slice(frame.length));
          if (c.pointEquals(c.baseMul(share), shareImage(points, me))) {
            good = true;
            total = c.mod(total + share);
          }
        } catch {
          good = false;
        }
      }
    }
    if (!good) complaints.push({ dealer: item.dealer, recipient: me, box_key: boxKey ? c.toHex(boxKey) : null });
  }
  return { share: complaints.length ? null : total, complaints };
}

// -- partial decryption (crypto/threshold/_decryption.py) -------------------------------------

export function partialDecryptions(task, share, { randomScalar } = {}) {
  const p = decryptionParams(task);
  const key = c.baseMul(share);
  if (task.verification_key && !c.pointEquals(key, c.pointFromHex(task.verification_key))) {
    throw new Error("this key share does not belong to this trustee");
  }
  return task.aggregate.map((row) =>
    row.map((json) => {
      const ct = c.ciphertextFromJson(json, { allowIdentity: true });
      const value = c.mul(ct.alpha, share);
      const context = c.transcript.encode(
        c.transcript.PARTIAL_DECRYPTION,
        p.context,
        c.u32(task.trustee),
        c.pointEncode(ct.alpha),
        c.pointEncode(ct.beta),
      );
      const proof = c.proveEqualDlogs(share, ct.alpha, value, context, randomScalar ? { randomScalar } : undefined);
      return { value: c.pointToHex(value), proof: c.twoScalarProofToJson(proof) };
    }),
  );
}

// -- the encrypted backup ---------------------------------------------------------------------

function backupAad(electionId, trustee) {
  return c.utf8(`${BACKUP_FORMAT}|${electionId}|${trustee}`);
}

async function backupKey(passphrase, salt, iterations) {
  const material = await crypto.subtle.importKey("raw", c.utf8(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

export async function encryptBackup(secrets, passphrase, { iterations = PBKDF2_ITERATIONS, random = c.randomBytes } = {}) {
  const salt = random(16);
  const nonce = random(12);
  const key = await backupKey(passphrase, salt, iterations);
  const plain = c.utf8(JSON.stringify(secrets));
  const aad = backupAad(secrets.election_id, secrets.trustee);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad }, key, plain));
  return {
    format: BACKUP_FORMAT,
    election_id: secrets.election_id,
    trustee: secrets.trustee,
    kdf: { name: "PBKDF2-SHA-256", iterations, salt: c.toHex(salt) },
    cipher: { name: "AES-256-GCM", nonce: c.toHex(nonce) },
    ciphertext: c.toBase64(sealed),
  };
}

export async function decryptBackup(backup, passphrase) {
  if (backup.format !== BACKUP_FORMAT || backup.kdf?.name !== "PBKDF2-SHA-256" || backup.cipher?.name !== "AES-256-GCM") {
    throw new Error("not a Stimmwerk trustee backup");
  }
  const key = await backupKey(passphrase, c.fromHex(backup.kdf.salt), backup.kdf.iterations);
  const sealed = c.fromBase64Strict(backup.ciphertext);
  if (!sealed) throw new Error("the backup is damaged");
  const aad = backupAad(backup.election_id, backup.trustee);
  let plain;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: c.fromHex(backup.cipher.nonce, 12), additionalData: aad }, key, sealed);
  } catch {
    throw new Error("wrong passphrase or damaged backup");
  }
  const secrets = JSON.parse(c.fromUtf8(new Uint8Array(plain)));
  if (secrets.format !== SECRETS_FORMAT || secrets.election_id !== backup.election_id || secrets.trustee !== backup.trustee) {
    throw new Error("the backup does not match its label");
  }
  return secrets;
}

// -- backups: names, strength, what they must hold --------------------------------------------

/** The backup's file name: by vote (short id), seat and what it holds. */
export function backupFileName(shortId, trustee, kind) {
  return `stimmwerk-${shortId}-trustee-${trustee}-${kind}.json`;
}

/** What a backup holds at a step: the sealing key, then the polynomial, then the key share. */
export function backupKind(secrets) {
  if (secrets.share) return "anteil";
  if (secrets.coefficients && secrets.coefficients.length) return "verteilung";
  return "siegelschluessel";
}

/**
 * A rough strength hint for a passphrase: "short" (< 12 characters, refused), "weak",
 * "fair" or "strong". Length counts most; several words or several kinds of characters
 * make a long passphrase strong. A hint for people, not an entropy estimate.
 */
export function passphraseStrength(passphrase) {
  const length = [...passphrase].length;
  if (length < 12) return "short";
  const kinds = [/[a-zäöüß]/u, /[A-ZÄÖÜ]/u, /[0-9]/u, /[^A-Za-z0-9äöüßÄÖÜ]/u].filter((r) => r.test(passphrase)).length;
  const words = passphrase.trim().split(/[\s\-_.,]+/u).filter(Boolean).length;
  if (length >= 20 && (words >= 4 || kinds >= 3)) return "strong";
  if (length >= 16 || kinds >= 3) return "fair";
  return "weak";
}

/** Trustee ``me``'s public verification key: the sum of every dealer's share image. */
export function verificationKey(dealings, me) {
  let key = null;
  for (const dealing of dealings) {
    const image = shareImage(dealing.commitments.map((h) => c.pointFromHex(h)), me);
    key = key === null ? image : c.add(key, image);
  }
  return key;
}

/** Does the secrets object hold the key share that matches the public commitments? */
export function shareMatches(secrets, dealings, me) {
  if (!secrets.share || !dealings.length) return false;
  return c.pointEquals(c.baseMul(c.scalarFromHex(secrets.share)), verificationKey(dealings, me));
}

export async function sha256Hex(bytes) {
  return c.toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

// -- the page ------------------------------------------------------------------------------------

/** This trustee's own signing key (hex), derived from the stored sealing key. */
function mySigningKey(secrets) {
  return c.toHex(signingKeyPair(c.fromHex(secrets.sealing_key, 32)).publicKey);
}

/**
 * The postal form (record §7.3): the figures as the server will read them (whole numbers
 * of up to 9 digits), or null when a field is not one (the server then names the field).
 */
export function postalLineFromForm(questions, value) {
  const number = (name) => {
    const raw = (value(name) || "").trim();
    return /^[0-9]{1,9}$/u.test(raw) ? Number(raw) : null;
  };
  const envelopes = number("envelopes");
  const lines = questions.map(([qid, options]) => ({
    counts: options.map((oid) => number(`count-${qid}-${oid}`)),
    invalid: number(`invalid-${qid}`),
  }));
  const all = [envelopes, ...lines.flatMap((q) => [...q.counts, q.invalid])];
  return all.some((n) => n === null) ? null : { envelopes, questions: lines };
}

function signPostalForm(app, form, messages) {
  const error = document.getElementById("postal-sign-error");
  const spec = JSON.parse(form.dataset.postal);
  const line = postalLineFromForm(spec.questions, (name) => form.elements.namedItem(name)?.value);
  const field = form.elements.namedItem("signature");
  field.value = "";
  if (line === null) return true; // the server names the bad field; nothing is signed
  const secrets = loadSecrets(app);
  if (!secrets) {
    error.textContent = messages.postal_no_key;
    error.hidden = false;
    return false;
  }
  const seed = signingKeyPair(c.fromHex(secrets.sealing_key, 32)).seed;
  field.value = c.toHex(signPostalLine(seed, spec.fingerprint, form.dataset.step, line));
  error.hidden = true;
  return true;
}

function storageKey(app) {
  return `stimmwerk-trustee:${app.dataset.electionId}:${app.dataset.trusteeIndex}`;
}

function loadSecrets(app) {
  const raw = window.localStorage.getItem(storageKey(app));
  return raw ? JSON.parse(raw) : null;
}

function storeSecrets(app, secrets) {
  window.localStorage.setItem(storageKey(app), JSON.stringify(secrets));
}

class UserError extends Error {}

async function api(app, url, body, messages) {
  const options = body === undefined
    ? { headers: { accept: "application/json" }, credentials: "same-origin" }
    : {
        method: "POST",
        credentials: "same-origin",
        headers: { accept: "application/json", "content-type": "application/json", "x-csrftoken": app.dataset.csrfToken },
        body: JSON.stringify(body),
      };
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new UserError(messages.network);
  }
  const data = await response.json().catch(() => ({}));
  // The server's messages are already translated; anything else gets the generic text.
  if (!response.ok) throw new UserError(data.message || messages.failed);
  return data;
}

function download(name, text) {
  const blob = new Blob([text], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function format(template, values) {
  return template.replace(/\{(\w+)\}/gu, (_, key) => String(values[key]));
}

function start(app) {
  const messages = JSON.parse(document.getElementById("trustee-messages").textContent);
  const $ = (id) => document.getElementById(id);
  const status = $("trustee-status");
  const next = $("trustee-next");
  const me = Number(app.dataset.trusteeIndex);
  const electionId = app.dataset.electionId;
  const shortId = app.dataset.shortId;
  const api$ = (url, body) => api(app, url, body, messages);
  // A message stays until the trustee dismisses it ("Understood, continue" reloads the page).
  const say = (text, { dismiss = false } = {}) => {
    status.textContent = text;
    next.hidden = !dismiss;
    if (dismiss) $("trustee-continue").focus();
  };
  const fail = (error) => {
    const text = error instanceof UserError ? error.message : messages.failed;
    if (!(error instanceof UserError)) console.error(error);
    say(`${messages.failed} ${text}`.trim());
  };
  $("trustee-continue")?.addEventListener("click", () => window.location.reload());
  const need = () => {
    const secrets = loadSecrets(app);
    if (!secrets) throw new UserError(messages.no_secrets);
    return secrets;
  };
  const stepButtons = ["trustee-register", "trustee-deal", "trustee-check", "trustee-decrypt"].map($).filter(Boolean);
  const busy = (on) => stepButtons.forEach((b) => { b.disabled = on; });

  // -- the backup form: asked twice, with a strength hint; the file is checked before it counts
  const form = $("backup-form");
  const confirmForm = $("backup-confirm-form");
  let pending = null; // { kind, digest } of the file just saved, awaiting "I have kept it"
  const showFormError = (id, text) => {
    const box = $(id);
    box.textContent = text;
    box.hidden = !text;
  };
  $("backup-pass")?.addEventListener("input", (event) => {
    const strength = passphraseStrength(event.target.value);
    $("backup-strength").textContent = event.target.value ? messages[strength === "short" ? "pass_short" : `pass_${strength}`] : "";
  });
  const openBackupForm = () => {
    const restoreSection = $("restore-section");
    if (restoreSection) restoreSection.hidden = true; // one form at a time
    form.hidden = false;
    $("backup-pass").focus();
  };
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const pass = $("backup-pass").value;
    if (passphraseStrength(pass) === "short") return showFormError("backup-form-error", messages.pass_short);
    if (pass !== $("backup-pass-again").value) return showFormError("backup-form-error", messages.pass_mismatch);
    showFormError("backup-form-error", "");
    say(messages.working);
    try {
      const secrets = need();
      const kind = backupKind(secrets);
      const text = JSON.stringify(await encryptBackup(secrets, pass), null, 2);
      // Read the file back as a restore would, before anyone relies on it.
      const again = await decryptBackup(JSON.parse(text), pass);
      if (kind === "anteil") {
        const doc = await api$(app.dataset.ceremonyUrl);
        if (!shareMatches(again, doc.dealings, me)) throw new UserError(messages.backup_wrong_share);
      }
      const name = backupFileName(shortId, me, kind);
      download(name, text);
      $("backup-pass").value = "";
      $("backup-pass-again").value = "";
      $("backup-strength").textContent = "";
      form.hidden = true;
      if (kind !== "anteil") {
        say(format(messages.interim_saved, { file: name }));
        return;
      }
      pending = { digest: await sha256Hex(c.utf8(text)) };
      say(`${messages.backup_verified} ${format(messages.backup_saved, { file: name })}`);
      $("backup-saved-text").textContent = format(messages.backup_saved, { file: name });
      confirmForm.hidden = false;
      $("backup-kept").focus();
    } catch (error) {
      fail(error);
    }
  });
  const confirmShares = async () => {
    await api$(app.dataset.shareCheckUrl, { complaints: [] });
    say(messages.checked, { dismiss: true });
  };
  confirmForm?.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!$("backup-kept").checked) return showFormError("backup-confirm-error", messages.must_keep);
    showFormError("backup-confirm-error", "");
    say(messages.working);
    try {
      await api$(app.dataset.backupUrl, { digest: pending.digest });
      app.dataset.backupConfirmed = "yes";
      confirmForm.hidden = true;
      await confirmShares();
    } catch (error) {
      fail(error);
    }
  });
  $("trustee-save-interim")?.addEventListener("click", () => {
    try {
      need();
      openBackupForm();
    } catch (error) {
      fail(error);
    }
  });

  // -- the ceremony steps and the decryption
  const run = (action) => async () => {
    busy(true);
    say(messages.working);
    try {
      await action();
    } catch (error) {
      fail(error);
      busy(false);
    }
  };
  const showFingerprint = (p) => {
    const line = document.getElementById("trustee-fingerprint");
    if (!line || !p.fingerprint) return;
    line.textContent = `${messages.fingerprint_checked} ${p.fingerprint}`;
    line.hidden = false;
  };
  const steps = {
    "trustee-register": async () => {
      const pair = sealingKeyPair();
      const secrets = { format: SECRETS_FORMAT, election_id: electionId, trustee: me, sealing_key: c.toHex(pair.secretKey), coefficients: [], share: null };
      storeSecrets(app, secrets);
      // §2.1: the signing key for the postal line is derived from the sealing key.
      const signing = signingKeyPair(pair.secretKey);
      await api$(app.dataset.sealingKeyUrl, { public_key: c.toHex(pair.publicKey), signing_key: c.toHex(signing.publicKey) });
      say(messages.registered, { dismiss: true });
    },
    "trustee-deal": async () => {
      const secrets = need();
      const doc = await api$(app.dataset.ceremonyUrl);
      const p = ceremonyParams(doc, me, mySigningKey(secrets));
      showFingerprint(p);
      const dealt = dealShares(p, me, doc.sealing_keys);
      // Keep the polynomial first: a dealer may have to reveal a disputed share.
      storeSecrets(app, { ...secrets, coefficients: dealt.coefficients.map(c.scalarToHex) });
      await api$(app.dataset.dealingUrl, dealt.body);
      say(messages.dealt, { dismiss: true });
    },
    "trustee-check": async () => {
      const secrets = need();
      const doc = await api$(app.dataset.ceremonyUrl);
      const { shares } = await api$(app.dataset.sharesUrl);
      const p = ceremonyParams(doc, me, mySigningKey(secrets));
      showFingerprint(p);
      const opened = openShares(p, me, c.fromHex(secrets.sealing_key, 32), shares);
      if (opened.complaints.length) {
        await api$(app.dataset.shareCheckUrl, { complaints: opened.complaints });
        say(messages.complained, { dismiss: true });
        return;
      }
      storeSecrets(app, { ...secrets, share: c.scalarToHex(opened.share) });
      // The share is final: the ceremony goes on only with a saved, checked backup of it.
      if (app.dataset.backupConfirmed === "yes") return confirmShares();
      $("trustee-check").hidden = true;
      say(messages.shares_good);
      openBackupForm();
    },
    "trustee-decrypt": async () => {
      const secrets = need();
      if (!secrets.share) throw new UserError(messages.no_secrets);
      const task = await api$(app.dataset.decryptionUrl);
      if (task.statement) {
        // Record v3: sign only a statement this browser recomputed and the trustee saw.
        const checked = checkStatement(task, c.scalarFromHex(secrets.share), mySigningKey(secrets));
        if (checked.problems.length) throw new UserError(`${messages.statement_refused} ${checked.problems.join(", ")}`);
        const summary = messages.statement_summary.replace(/\{(\w+)\}/g, (_, key) => String(checked.figures[key]));
        if (!window.confirm(summary)) {
          say(messages.statement_declined);
          busy(false);
          return;
        }
      }
      const partials = partialDecryptions(task, c.scalarFromHex(secrets.share));
      await api$(app.dataset.decryptionUrl, { partials });
      say(messages.decrypted, { dismiss: true });
    },
  };
  for (const [id, action] of Object.entries(steps)) $(id)?.addEventListener("click", run(action));

  // -- the postal line: signed with this trustee's key before the form is sent (§7.3)
  const postalForm = $("postal-form");
  if (postalForm?.dataset.signed === "yes") {
    postalForm.addEventListener("submit", (event) => {
      if (!signPostalForm(app, postalForm, messages)) event.preventDefault();
    });
  }

  // -- restoring a backup; before the vote is counted this is also the recorded test
  const restore = $("restore-form");
  restore?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("restore-file").files[0];
    if (!file) return say(messages.choose_file);
    say(messages.working);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      let backup;
      try {
        backup = JSON.parse(c.fromUtf8(bytes));
      } catch {
        throw new UserError(messages.backup_not_file);
      }
      if (backup?.format !== BACKUP_FORMAT) throw new UserError(messages.backup_not_file);
      if (backup.election_id !== electionId || backup.trustee !== me) throw new UserError(messages.backup_other);
      let secrets;
      try {
        secrets = await decryptBackup(backup, $("restore-pass").value);
      } catch {
        throw new UserError(messages.backup_bad_passphrase);
      }
      // During the ceremony an interim backup (no share yet) brings back the sealing key
      // and the polynomial; from the share check on, only the key share will do.
      const interimAllowed = ["deal", "wait_dealing", "check"].includes(app.dataset.step);
      if (!secrets.share && !interimAllowed) throw new UserError(messages.backup_no_share);
      if (secrets.share) {
        const doc = await api$(app.dataset.ceremonyUrl);
        if (!shareMatches(secrets, doc.dealings, me)) throw new UserError(messages.backup_wrong_share);
      }
      $("restore-pass").value = "";
      const testing = ["wait_check", "wait_close"].includes(app.dataset.step);
      if (testing) {
        // A test leaves no copy of the key share behind in the browser it ran in.
        await api$(app.dataset.backupTestUrl, { digest: await sha256Hex(bytes) });
        say(messages.backup_tested, { dismiss: true });
      } else {
        storeSecrets(app, secrets);
        say(messages.backup_loaded, { dismiss: true });
      }
    } catch (error) {
      fail(error);
    }
  });
}

if (typeof document !== "undefined") {
  const app = document.getElementById("trustee-app");
  if (app) start(app);
}
