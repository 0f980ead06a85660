// Test harness for tests/js/test_survey_client_agrees.py: imports the browser's survey
// format (frontend/src/survey/format.js) and answers one JSON request per stdin line
// with one JSON response per stdout line: {"ok": true, "result": ...} or
// {"ok": false, "error": ..., "question": ..., "code": ...}.
import { createInterface } from "node:readline";
import * as c from "../../frontend/src/crypto/index.js";
import * as f from "../../frontend/src/survey/format.js";

const requests = new Map(); // credential requests kept between calls, by id

const handlers = {
  credential_message: ({ survey, audience, public_key }) => c.toHex(f.credentialMessage(survey, audience, public_key)),
  request: ({ id, secret, survey, audience, issuer_spki }) => {
    const issuer = c.blindRsa.parseSpki(issuer_spki);
    const request = f.requestCredential(issuer, survey, audience, c.fromHex(secret));
    requests.set(id, { issuer, request });
    return { blinded_msg: c.toHex(request.state.blindedMsg), public_key: request.publicKeyHex };
  },
  finish: ({ id, blind_signature }) => {
    const { issuer, request } = requests.get(id);
    const credential = f.finishCredential(issuer, request, c.fromHex(blind_signature));
    return { seed: c.toHex(credential.seed), ...f.credentialJson(credential) };
  },
  answer_line: ({ manifest, fingerprint, survey, audience, credential, answers }) => {
    const held = {
      surveyId: survey,
      audience,
      seed: c.fromHex(credential.seed),
      publicKeyHex: credential.public_key,
      prefix: c.fromHex(credential.prefix),
      signature: c.fromHex(credential.signature),
    };
    const line = f.answerLine(manifest, fingerprint, held, answers);
    return { line: c.toHex(line), hash: f.answerHash(line) };
  },
  check: ({ manifest, answers }) => f.checkAnswers(manifest, answers),
  shuffle: ({ public_key, question, n }) => f.shuffleOrder(public_key, question, n),
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer;
  try {
    const request = JSON.parse(line);
    answer = { ok: true, result: handlers[request.op](request) };
  } catch (error) {
    answer = { ok: false, error: String(error.message || error), question: error.question ?? null, code: error.code ?? null };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
