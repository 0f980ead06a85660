// Test harness for tests/js/test_browser_client_agrees.py: imports the browser crypto
// modules (frontend/src/crypto) and answers one JSON request per stdin line with one
// JSON response per stdout line: {"ok": true, "result": ...} or {"ok": false, "error"}.
// Randomness is deterministic where a request gives it: `nonces` (hex scalars, drawn in
// order, like Python's random_scalar=) or `random_seed` (hex; a SHA-512 counter stream).
import { createInterface } from "node:readline";
import { createHash } from "node:crypto";
import * as c from "../../frontend/src/crypto/index.js";

function scalarQueue(nonces) {
  const queue = nonces.map(c.scalarFromHex);
  return () => {
    if (queue.length === 0) throw new Error("nonce queue exhausted");
    return queue.shift();
  };
}

/** A deterministic byte stream: SHA-512(seed || u32 counter) blocks. */
function byteStream(seedHex) {
  const seed = c.fromHex(seedHex);
  let buffer = new Uint8Array(0);
  let counter = 0;
  const draws = [];
  const random = (n) => {
    while (buffer.length < n) buffer = c.concatBytes(buffer, new Uint8Array(createHash("sha512").update(c.concatBytes(seed, c.u32(counter++))).digest()));
    const out = buffer.slice(0, n);
    buffer = buffer.slice(n);
    draws.push(c.toHex(out));
    return out;
  };
  random.draws = draws;
  return random;
}

const ciphertext = (json) => c.ciphertextFromJson(json);
const states = new Map(); // credential requests kept between requests, by id

const handlers = {
  decode_point: ({ hex, allow_identity }) => c.pointToHex(c.pointFromHex(hex, { allowIdentity: !!allow_identity })),
  base_mul: ({ scalar }) => c.pointToHex(c.baseMul(c.scalarFromHex(scalar))),
  mul: ({ point, scalar }) => c.pointToHex(c.mul(c.pointFromHex(point, { allowIdentity: true }), c.scalarFromHex(scalar))),
  decode_scalar: ({ hex }) => c.scalarToHex(c.scalarDecode(c.fromHex(hex))),
  transcript: ({ label, fields }) => c.toHex(c.transcript.encode(c.fromHex(label), ...fields.map((f) => c.fromHex(f)))),
  hash_to_scalar: ({ label, fields }) => c.scalarToHex(c.hashToScalar(c.fromHex(label), ...fields.map((f) => c.fromHex(f)))),
  hash_to_point: ({ label, fields }) => c.pointToHex(c.hashToPoint(c.fromHex(label), ...fields.map((f) => c.fromHex(f)))),
  encrypt: ({ key, m, r }) => c.ciphertextToJson(c.encrypt(c.pointFromHex(key), m, c.scalarFromHex(r))),
  prove_zero_one: ({ key, ciphertext: ct, m, r, context, nonces }) =>
    c.disjunctiveToJson(c.proveZeroOne(c.pointFromHex(key), ciphertext(ct), m, c.scalarFromHex(r), c.fromHex(context), { randomScalar: scalarQueue(nonces) })),
  verify_zero_one: ({ key, ciphertext: ct, proof, context }) =>
    c.verifyZeroOne(c.pointFromHex(key), ciphertext(ct), c.disjunctiveFromJson(proof, 2), c.fromHex(context)),
  prove_range: ({ key, ciphertexts, openings, bounds, context, nonces }) =>
    c.disjunctiveToJson(
      c.proveRange(c.pointFromHex(key), ciphertexts.map(ciphertext), openings.map(([m, r]) => [m, c.scalarFromHex(r)]), bounds, c.fromHex(context), { randomScalar: scalarQueue(nonces) }),
    ),
  verify_range: ({ key, ciphertexts, bounds, proof, context }) =>
    c.verifyRange(c.pointFromHex(key), ciphertexts.map(ciphertext), bounds, c.disjunctiveFromJson(proof, bounds[1] - bounds[0] + 1), c.fromHex(context)),
  verify_opening: ({ key, ciphertext: ct, m, r }) => c.verifyOpening(c.pointFromHex(key), ciphertext(ct), m, c.scalarFromHex(r)),
  prove_dlog: ({ secret, context, nonces }) =>
    c.twoScalarProofToJson(c.proveDlog(c.scalarFromHex(secret), c.fromHex(context), { randomScalar: scalarQueue(nonces) })),
  prove_equal_dlogs: ({ secret, base, image, context, nonces }) =>
    c.twoScalarProofToJson(c.proveEqualDlogs(c.scalarFromHex(secret), c.pointFromHex(base), c.pointFromHex(image), c.fromHex(context), { randomScalar: scalarQueue(nonces) })),
  canonical: ({ value }) => c.toHex(c.canonicalJson(value)),
  domain_hash: ({ label, value }) => c.toHex(c.domainHash(label, value)),
  credential_message: ({ election_id, public_key }) => c.toHex(c.credentialMessage(election_id, public_key)),
  proof_context: ({ manifest_hash, credential, question, option }) => c.toHex(c.proofContext(manifest_hash, credential, question, option)),
  sign: ({ seed, label, payload }) => ({ public_key: c.toHex(c.publicKeyOf(c.fromHex(seed))), signature: c.toHex(c.sign(c.fromHex(seed), label, c.fromHex(payload))) }),
  spki: ({ der }) => {
    const pk = c.blindRsa.parseSpki(der);
    return { n: pk.n.toString(16), e: Number(pk.e), modulus_len: pk.modulusLen };
  },
  blind_with: ({ spki, prefix, msg, salt, r }) => {
    const pk = c.blindRsa.parseSpki(spki);
    const prepared = c.blindRsa.prepare(c.fromHex(msg), { prefix: c.fromHex(prefix) });
    const state = c.blindRsa.blindWith(pk, prepared, c.fromHex(salt), BigInt(`0x${r}`));
    return { blinded_msg: c.toHex(state.blindedMsg), inv: state.inv.toString(16) };
  },
  prepare_blind: ({ spki, msg, random_seed }) => {
    const pk = c.blindRsa.parseSpki(spki);
    const random = byteStream(random_seed);
    const prepared = c.blindRsa.prepare(c.fromHex(msg), { random });
    const state = c.blindRsa.blind(pk, prepared, { random });
    const id = `b${states.size}`;
    states.set(id, state);
    return { id, prefix: c.toHex(prepared.prefix), blinded_msg: c.toHex(state.blindedMsg), inv: state.inv.toString(16), draws: random.draws };
  },
  finalize: ({ spki, id, blind_sig }) => c.toHex(c.blindRsa.finalize(c.blindRsa.parseSpki(spki), states.get(id), c.fromHex(blind_sig))),
  rsa_verify: ({ spki, input_msg, sig }) => c.blindRsa.verify(c.blindRsa.parseSpki(spki), c.fromHex(input_msg), c.fromHex(sig)),
  election_keys: ({ manifest, keys }) => {
    const k = c.electionKeysFromRecord(manifest, keys);
    return { manifest_hash: k.manifestHash, questions: k.questions, board_origin: k.boardOrigin };
  },
  request_credential: ({ manifest, keys, random_seed }) => {
    const k = c.electionKeysFromRecord(manifest, keys);
    const request = c.requestCredential(k.issuer, k.electionId, { random: byteStream(random_seed) });
    const id = `r${states.size}`;
    states.set(id, request);
    return { id, public_key: request.publicKeyHex, blinded_msg: c.toHex(request.state.blindedMsg) };
  },
  recover_request: ({ manifest, keys, code }) => {
    const k = c.electionKeysFromRecord(manifest, keys);
    const bytes = c.recovery.parseCode(code);
    if (bytes === null) throw new Error("not a recovery code");
    const request = c.recovery.recoverableRequest(k.issuer, k.electionId, bytes);
    const id = `r${states.size}`;
    states.set(id, request);
    return { id, code: c.recovery.formatCode(bytes), seed: c.toHex(request.seed), public_key: request.publicKeyHex, blinded_msg: c.toHex(request.state.blindedMsg) };
  },
  make_ballot: ({ manifest, keys, id, blind_sig, choices, random_seed, nonces }) => {
    const k = c.electionKeysFromRecord(manifest, keys);
    const credential = c.finishCredential(k.issuer, states.get(id), c.fromHex(blind_sig));
    // Round trip through storage form, as the browser does via localStorage.
    const stored = c.credentialFromJson(JSON.parse(JSON.stringify(c.credentialToJson(credential))));
    const options = nonces ? { randomScalar: scalarQueue(nonces) } : { random: byteStream(random_seed) };
    const sealed = c.encryptBallot(k, stored, choices, options);
    const ballot = c.signBallot(sealed, stored);
    const line = c.ballotLine(ballot);
    return {
      ballot,
      secret_key: c.toHex(stored.seed),
      line: c.toHex(line),
      ballot_hash: c.ballotHash(line),
      audit: c.verifyAudit(k, c.spoil(sealed)),
      reveal: c.spoil(sealed).openings,
    };
  },
  verify_audit: ({ manifest, keys, body, openings }) => c.verifyAudit(c.electionKeysFromRecord(manifest, keys), { body, openings }),
  check_receipt: ({ receipt, line, board_public_key, origin }) => c.checkReceipt(receipt, c.fromHex(line), board_public_key, origin),
  open_checkpoint: ({ note, name, public_key, origin }) => {
    const cp = c.openCheckpoint(note, [{ name, publicKey: c.fromHex(public_key) }], origin);
    return cp && { origin: cp.origin, tree_size: cp.treeSize.toString(), root_hash: c.toHex(cp.rootHash) };
  },
  note_key_id: ({ name, public_key }) => c.toHex(c.noteKeyId(name, c.fromHex(public_key))),
  base64: ({ hex }) => c.toBase64(c.fromHex(hex)),
  inclusion_root: ({ index, size, path, leaf }) => {
    const root = c.rootFromInclusionProof(BigInt(index), BigInt(size), path.map((p) => c.fromHex(p)), c.fromHex(leaf));
    return root && c.toHex(root);
  },
};

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let response;
  try {
    const request = JSON.parse(line);
    const handler = handlers[request.op];
    if (!handler) throw new Error(`unknown op ${request.op}`);
    response = { ok: true, result: handler(request) };
  } catch (error) {
    response = { ok: false, error: String(error && error.message) };
  }
  process.stdout.write(`${JSON.stringify(response)}\n`);
}
