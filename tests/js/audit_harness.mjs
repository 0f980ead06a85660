// Harness for tests/js/test_ballot_check_agrees.py: the independent checker of opened
// ballots (frontend/src/audit/check.js) and, separately, the booth's own encryption
// (frontend/src/crypto) to produce opened ballots as the vote page does. One JSON
// request per stdin line, one JSON answer per stdout line.
import { createInterface } from "node:readline";
import { checkAudit, canonical, domainHashHex } from "../../frontend/src/audit/check.js";
import * as c from "../../frontend/src/crypto/index.js";

const handlers = {
  check: ({ audit, client_data }) => checkAudit(audit, client_data),
  canonical: ({ value }) => canonical(value),
  domain_hash: ({ label, value }) => domainHashHex(label, value),
  // The vote page's "Stimmzettel prüfen": encrypt with a throw-away credential key, open.
  booth_audit: ({ manifest, keys, choices }) => {
    const k = c.electionKeysFromRecord(manifest, keys);
    const credential = { publicKeyHex: c.toHex(c.publicKeyOf(c.generateSeed())), prefix: new Uint8Array(32), signature: new Uint8Array(k.issuer.modulusLen) };
    const sealed = c.encryptBallot(k, credential, choices);
    const opened = c.spoil(sealed);
    return {
      format: "stimmwerk/ballot-audit/v1",
      election_id: k.electionId,
      ballot_hash: c.ballotHash(c.canonicalJson(opened.body)),
      ballot: opened.body,
      openings: opened.openings,
      choices,
      manifest,
      keys,
    };
  },
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer;
  try {
    const request = JSON.parse(line);
    answer = { ok: true, result: handlers[request.op](request) };
  } catch (error) {
    answer = { ok: false, error: String(error && error.stack ? error.stack : error) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
