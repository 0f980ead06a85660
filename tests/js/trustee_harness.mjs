// Test harness for tests/js/test_trustee_agrees.py: imports frontend/src/trustee.js and
// answers one JSON request per stdin line with one JSON line: {"ok", "result"|"error"}.
import { createInterface } from "node:readline";
import * as c from "../../frontend/src/crypto/index.js";
import * as t from "../../frontend/src/trustee.js";

const scalars = (list) => list.map(c.scalarFromHex);
// This trustee's own signing key (hex), from its sealing secret, as the page derives it.
const mine = (sealing) => c.toHex(t.signingKeyPair(c.fromHex(sealing, 32)).publicKey);

const handlers = {
  public_key: ({ secret }) => c.toHex(t.sealingKeyPair(() => c.fromHex(secret, 32)).publicKey),
  beforenm: ({ public_key, secret }) => c.toHex(t.boxBeforenm(c.fromHex(public_key, 32), c.fromHex(secret, 32))),
  seal: ({ message, public_key }) => c.toHex(t.sealedBoxSeal(c.fromHex(message), c.fromHex(public_key, 32))),
  open: ({ sealed, public_key, secret }) => {
    const plain = t.sealedBoxOpen(c.fromHex(sealed), c.fromHex(public_key, 32), c.fromHex(secret, 32));
    return plain ? c.toHex(plain) : null;
  },
  deal: ({ doc, dealer }) => {
    const dealt = t.dealShares(t.params(doc), dealer, doc.sealing_keys);
    return { coefficients: dealt.coefficients.map(c.scalarToHex), body: dealt.body };
  },
  open_shares: ({ doc, me, secret, shares }) => {
    const opened = t.openShares(t.params(doc), me, c.fromHex(secret, 32), shares);
    return { share: opened.share === null ? null : c.scalarToHex(opened.share), complaints: opened.complaints };
  },
  partials: ({ task, share }) => t.partialDecryptions(task, c.scalarFromHex(share)),
  backup_round_trip: async ({ secrets, passphrase, wrong }) => {
    const backup = await t.encryptBackup(secrets, passphrase, { iterations: 1000 });
    const back = await t.decryptBackup(JSON.parse(JSON.stringify(backup)), passphrase);
    let refused = false;
    try {
      await t.decryptBackup(backup, wrong);
    } catch {
      refused = true;
    }
    return { backup, back, refused };
  },
  share_for: ({ coefficients, recipient }) => c.scalarToHex(t.shareFor(scalars(coefficients), recipient)),
  fingerprint: ({ manifest, issuer_spki, board_public_key }) => c.toHex(t.electionFingerprint(manifest, issuer_spki, board_public_key)),
  ceremony_context: ({ doc, me, sealing }) =>
    c.toHex(t.ceremonyParams(doc, me, sealing ? mine(sealing) : undefined).context),
  signing_key: ({ sealing }) => mine(sealing),
  sign_postal: ({ sealing, fingerprint, step, line }) =>
    c.toHex(t.signPostalLine(t.signingKeyPair(c.fromHex(sealing, 32)).seed, fingerprint, step, line)),
  postal_form: ({ questions, form }) => t.postalLineFromForm(questions, (name) => form[name]),
  merkle_root: ({ entries }) => c.toHex(t.merkleRoot(entries)),
  statement_context: ({ task }) => c.toHex(t.decryptionParams(task).context),
  check_statement: ({ task, share, sealing }) =>
    t.checkStatement(task, c.scalarFromHex(share), sealing ? mine(sealing) : undefined),
  verification_key: ({ dealings, me }) => c.pointToHex(t.verificationKey(dealings, me)),
  share_matches: ({ secrets, dealings, me }) => t.shareMatches(secrets, dealings, me),
  passphrase_strength: ({ passphrase }) => t.passphraseStrength(passphrase),
  backup_name: ({ short_id, trustee, secrets }) => t.backupFileName(short_id, trustee, t.backupKind(secrets)),
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer;
  try {
    const request = JSON.parse(line);
    const handler = handlers[request.op];
    if (!handler) throw new Error(`unknown op ${request.op}`);
    answer = { ok: true, result: await handler(request) };
  } catch (error) {
    answer = { ok: false, error: String(error && error.stack ? error.stack : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
