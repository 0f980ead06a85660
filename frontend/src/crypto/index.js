// Stimmwerk browser cryptography: byte-for-byte compatible with the Python client
// (ballots/client.py, crypto/*). Import from this module only; the API below is stable.
//
// Conventions: bytes are Uint8Array; hex is strict lowercase; scalars are BigInt in
// [0, L); points are @noble/curves ristretto255 Point objects; ciphertexts are
// { alpha, beta } of points. Every function that draws randomness takes an options
// object with `random` (a function n -> Uint8Array of n random bytes; default
// crypto.getRandomValues) and, for proofs/ballots, alternatively `randomScalar`
// (a function () -> BigInt, like Python's random_scalar=). Verifiers return booleans
// and never throw.
//
// Exported API
// bytes:      toHex(bytes), fromHex(hex, length?), concatBytes(...), equalBytes(a, b),
//             utf8(text), fromUtf8(bytes), u32(n), randomBytes(n), toBase64(bytes),
//             fromBase64Strict(text) -> bytes|null, bytesToBigIntBE/LE, bigIntToBytesBE/LE
// transcript: transcript.encode(label, ...fields), transcript.{SCHNORR, CHAUM_PEDERSEN,
//             ZERO_ONE, RANGE, DKG_COMMITMENT, DKG_SHARE, PARTIAL_DECRYPTION} (label bytes)
// group:      L, GENERATOR, IDENTITY, mod(a), scalarDecode(bytes), scalarEncode(s),
//             scalarFromHex(hex), scalarToHex(s), scalarFromWide(64 bytes),
//             randomScalar(random?), scalarInvert(s), pointDecode(bytes, {allowIdentity}),
//             pointEncode(P), pointFromHex(hex, {allowIdentity}), pointToHex(P),
//             isIdentity(P), pointEquals(P, Q), mul(P, s), baseMul(s), add(P, Q), sub(P, Q),
//             hashToScalar(labelBytes, ...fields), hashToPoint(labelBytes, ...fields)
// canonical:  canonicalJson(value) -> bytes, canonicalJsonString(value),
//             domainHash(label, value) -> 32 bytes, labelBytes(label)
// elgamal:    encrypt(K, m, r), encodePlaintext(m), aggregate(cts), freshNonce(random?),
//             ZERO_CIPHERTEXT, ciphertextToJson(c), ciphertextFromJson(json, {allowIdentity})
// proofs:     proveZeroOne(K, c, m, r, context, opts), verifyZeroOne(K, c, proof, context),
//             proveRange(K, cts, openings [[m, r]...], [min, max], context, opts),
//             verifyRange(K, cts, [min, max], proof, context), verifyOpening(K, c, m, r),
//             proveDlog(x, context, opts), verifyDlog(X, proof, context),
//             proveEqualDlogs(s, base, image, context, opts),
//             verifyEqualDlogs(public, base, image, proof, context),
//             disjunctiveToJson/FromJson(json, branches), twoScalarProofToJson/FromJson,
//             MAX_BRANCHES  (disjunctive proof = { challenges: [s], responses: [s] },
//             two-scalar proof = { challenge, response })
// signing:    labelledMessage(label, payload), generateSeed(random?), publicKeyOf(seed),
//             sign(seed, label, payload), signMessage(seed, msg),
//             verify(pk, label, payload, sig), verifyMessage(pk, msg, sig)
// blindRsa:   blindRsa.parseSpki(der bytes|hex) -> { n, e, bits, modulusLen },
//             blindRsa.prepare(msg, {random}) -> { prefix, msg, inputMsg },
//             blindRsa.blind(pk, prepared, {random}) -> { prepared, blindedMsg, inv },
//             blindRsa.blindWith(pk, prepared, salt, r), blindRsa.finalize(pk, state, blindSig)
//             -> sig bytes (verified), blindRsa.verify(pk, inputMsg, sig), blindRsa.emsaPssEncode
// board:      leafHash(data), nodeHash(l, r), rootFromInclusionProof(index, size, path, leaf),
//             verifyInclusion(index, size, path, leaf, root) (index/size BigInt),
//             noteKeyId(name, pk), openNote(note, [{ name, publicKey }]) -> text|null,
//             openCheckpoint(note, verifiers, origin) -> { origin, treeSize, rootHash }|null,
//             checkReceipt(receipt json, line bytes, boardPublicKeyHex, origin) -> bool
// ballot:     CREDENTIAL_LABEL, BALLOT_LABEL, CONTEXT_LABEL, MANIFEST_LABEL, SELECTION,
//             credentialMessage(electionId, pkHex), proofContext(manifestHashHex, credHex, q, o),
//             signingPayload(ballot), ballotLine(ballot) -> bytes, ballotHash(line) -> hex,
//             manifestHashHex(manifest), electionKeysFromRecord(manifest, keys) -> keys object,
//             requestCredential(issuer, electionId, {random, seed}),
//             finishCredential(issuer, request, blindSigBytes),
//             credentialToJson(c), credentialFromJson(json), selectionFor(question, chosen),
//             validChoices(keys, choices), encryptBallot(keys, credential, choices, opts)
//             -> { body, openings }, signBallot(sealed, credential), makeBallot(...),
//             spoil(sealed), verifyAudit(keys, reveal) -> choices|null
// recovery:   recovery.newRecoveryCode(random?) -> "XXXX-…", recovery.parseCode(text) -> bytes|null,
//             recovery.formatCode(bytes), recovery.deriveBytes(code, electionId, purpose, n),
//             recovery.recoverableRequest(issuer, electionId, codeBytes) -> as requestCredential

export * from "./bytes.js";
export * as transcript from "./transcript.js";
export * from "./group.js";
export * from "./canonical.js";
export * from "./elgamal.js";
export * from "./proofs.js";
export * from "./signing.js";
export * as blindRsa from "./blindrsa.js";
export * from "./board.js";
export * from "./ballot.js";
export * as recovery from "./recovery.js";
