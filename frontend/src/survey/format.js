// The survey answer format in the browser: byte for byte what surveys/answer_format.py,
// surveys/client.py and surveys/definition.py (check_answers) make in Python.
// Pure (no DOM): frontend/src/survey.js uses it on the page, tests/js/survey_harness.mjs
// under Node for the agreement test (tests/js/test_survey_client_agrees.py).
//
// A credential name is "members", "guests" or "members/c3" (a member of breakdown class
// c3, docs/surveys/record.md §8): the issuer key's name; in the signed bytes it is split
// into "audience" and "class".
// credentialMessage(surveyId, name, publicKeyHex) -> bytes (RFC 9474 msg)
// requestCredential(issuer, surveyId, audience, secretBytes) -> { surveyId, audience,
//     seed, publicKeyHex, state }: every random value derived from `secretBytes` (15 bytes
//     stored in localStorage before the request), so a lost answer is asked again with
//     the same bytes and the server answers it the same way.
// finishCredential(issuer, request, blindSig) -> { ..., prefix, signature }
// checkAnswers(manifest, raw) -> canonical answers, or throws AnswerRefused(question, code)
// answerLine(fingerprint, credential, answers) -> bytes (canonical JSON, signed)
// answerHash(line) -> hex (RFC 9162 leaf hash: the receipt)
// shuffleOrder(publicKeyHex, questionId, n) -> a permutation of 0..n-1 (per credential)
import { canonicalJson, domainHash } from "../crypto/canonical.js";
import { bytesToBigIntBE, concatBytes, toHex } from "../crypto/bytes.js";
import { labelledMessage, publicKeyOf, sign } from "../crypto/signing.js";
import { leafHash } from "../crypto/board.js";
import * as blindRsa from "../crypto/blindrsa.js";
import { deriveBytes } from "../crypto/recovery.js";

export const CREDENTIAL_LABEL = "stimmwerk/survey-credential/v1";
export const ANSWER_LABEL = "stimmwerk/survey-answer/v1";
export const SHUFFLE_LABEL = "stimmwerk/survey-shuffle/v1";
export const SECRET_BYTES = 15;
export const YES_NO_VALUES = ["yes", "no", "abstain"];
const BODY_KEYS = ["survey", "fingerprint", "audience", "credential", "answers"];
export const CLASS_SEPARATOR = "/";

/** "members/c3" -> ["members", "c3"]; "members" -> ["members", null] (surveys.answer_format.split_name). */
export function splitName(name) {
  const at = name.indexOf(CLASS_SEPARATOR);
  if (at < 0) return [name, null];
  return [name.slice(0, at), name.slice(at + 1) || null];
}

export class AnswerRefused extends Error {
  constructor(question, code, detail = {}) {
    super(`${question}: ${code}`);
    this.question = question;
    this.code = code;
    this.detail = detail;
  }
}

export function credentialMessage(surveyId, name, publicKeyHex) {
  const [audience, klass] = splitName(name);
  const value = { survey: surveyId, audience, public_key: publicKeyHex };
  if (klass !== null) value.class = klass;
  return labelledMessage(CREDENTIAL_LABEL, canonicalJson(value));
}

/** The blinded credential request, every random value derived from the stored secret. */
export function requestCredential(issuer, surveyId, audience, secretBytes) {
  const context = `survey:${surveyId}:${audience}`;
  const seed = deriveBytes(secretBytes, context, "seed", 32);
  const publicKeyHex = toHex(publicKeyOf(seed));
  const prefix = deriveBytes(secretBytes, context, "prefix", blindRsa.PREFIX_LEN);
  const prepared = blindRsa.prepare(credentialMessage(surveyId, audience, publicKeyHex), { prefix });
  const salt = deriveBytes(secretBytes, context, "salt", blindRsa.SALT_LEN);
  const r = bytesToBigIntBE(deriveBytes(secretBytes, context, "blind", issuer.modulusLen + 32)) % issuer.n;
  if (r === 0n) throw new Error("derived blind is zero");
  return { surveyId, audience, seed, publicKeyHex, state: blindRsa.blindWith(issuer, prepared, salt, r) };
}

export function finishCredential(issuer, request, blindSignature) {
  const signature = blindRsa.finalize(issuer, request.state, blindSignature);
  return {
    surveyId: request.surveyId,
    audience: request.audience,
    seed: request.seed,
    publicKeyHex: request.publicKeyHex,
    prefix: request.state.prepared.prefix,
    signature,
  };
}

export const credentialJson = (credential) => ({
  public_key: credential.publicKeyHex,
  prefix: toHex(credential.prefix),
  signature: toHex(credential.signature),
});

// --- the manifest's rules (surveys/definition.py) ---------------------------------------

/** The questions of a canonical manifest in order, with the limits check_answers uses. */
export function questionsOf(manifest) {
  const out = [];
  for (const section of manifest.sections) {
    for (const q of section.questions) {
      const optionIds = q.type === "yes_no_abstain" ? YES_NO_VALUES : (q.options ?? []).map((o) => o.id);
      out.push({
        id: q.id,
        type: q.type,
        required: q.required !== false,
        optionIds,
        statementIds: (q.statements ?? []).map((s) => s.id),
        low: q.min ?? 0,
        high: q.max ?? 0,
        maxChoices: q.type === "single_choice" ? 1 : (q.max ?? 0),
        minChoices: q.type === "multiple_choice" ? q.min ?? 0 : q.type === "single_choice" || q.type === "ranking" ? 1 : 0,
        maxLength: q.max_length ?? 0,
        condition: q.condition ?? null,
      });
    }
  }
  return out;
}

/** Is the question shown, given the (already checked) earlier answers? */
export function shown(question, answers) {
  if (!question.condition) return true;
  const given = answers[question.condition.question];
  if (given === undefined) return false;
  const chosen = Array.isArray(given) ? given : [given];
  return chosen.some((value) => question.condition.in.includes(value));
}

const isInteger = (value) => typeof value === "number" && Number.isInteger(value);
const isPlainObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
// Python's str.strip() / len(): whitespace as Python sees it, length in code points.
const PY_SPACE = /^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/gu;
const codePoints = (text) => [...text].length;

function choiceList(q, value, low, high) {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new AnswerRefused(q.id, "not_list");
  if (value.some((v) => !q.optionIds.includes(v))) throw new AnswerRefused(q.id, "unknown_option");
  if (new Set(value).size !== value.length) throw new AnswerRefused(q.id, "repeated_option");
  if (value.length < low) throw new AnswerRefused(q.id, "too_few", { min: low });
  if (value.length > high) throw new AnswerRefused(q.id, "too_many", { max: high });
  return [...value];
}

function inScale(q, value) {
  if (!isInteger(value)) throw new AnswerRefused(q.id, "not_number");
  if (value < q.low || value > q.high) throw new AnswerRefused(q.id, "out_of_range", { min: q.low, max: q.high });
  return value;
}

function valueOf(q, value) {
  switch (q.type) {
    case "single_choice":
    case "yes_no_abstain":
      if (typeof value !== "string" || !q.optionIds.includes(value)) throw new AnswerRefused(q.id, "unknown_option");
      return value;
    case "multiple_choice": {
      const chosen = new Set(choiceList(q, value, Math.max(q.minChoices, 1), q.maxChoices));
      return q.optionIds.filter((o) => chosen.has(o));
    }
    case "ranking":
      return choiceList(q, value, 1, q.maxChoices);
    case "scale":
    case "number":
      return inScale(q, value);
    case "matrix": {
      const keys = isPlainObject(value) ? Object.keys(value) : null;
      if (!keys || keys.length !== q.statementIds.length || !q.statementIds.every((s) => keys.includes(s))) {
        throw new AnswerRefused(q.id, "statements");
      }
      const out = {};
      for (const s of q.statementIds) out[s] = inScale(q, value[s]);
      return out;
    }
    default:
      if (typeof value !== "string" || value.replace(PY_SPACE, "") === "") throw new AnswerRefused(q.id, "not_text");
      if (codePoints(value) > q.maxLength) throw new AnswerRefused(q.id, "too_long", { max: q.maxLength });
      return value;
  }
}

/** check_answers: the canonical answers, or AnswerRefused naming the first question wrong. */
export function checkAnswers(manifest, raw) {
  if (!isPlainObject(raw)) throw new AnswerRefused(null, "not_object");
  const questions = questionsOf(manifest);
  const known = new Set(questions.map((q) => q.id));
  // Python sorts by str (code points); ids are ASCII, so the default sort is the same.
  const unknown = Object.keys(raw).filter((id) => !known.has(id)).sort();
  if (unknown.length) throw new AnswerRefused(unknown[0], "unknown_question");
  const out = {};
  for (const q of questions) {
    const visible = shown(q, out);
    if (!(q.id in raw)) {
      if (visible && q.required) throw new AnswerRefused(q.id, "required");
      continue;
    }
    if (!visible) throw new AnswerRefused(q.id, "condition_false");
    out[q.id] = valueOf(q, raw[q.id]);
  }
  return out;
}

// --- the answer line --------------------------------------------------------------------

export function answerBody(surveyId, fingerprint, name, credential, answers) {
  const [audience, klass] = splitName(name);
  const body = { survey: surveyId, fingerprint, audience, credential, answers };
  if (klass !== null) body.class = klass;
  return body;
}

/** What the credential key signs: the canonical body (the line without "signature"). */
export function signedPayload(line) {
  const body = {};
  for (const key of BODY_KEYS) body[key] = line[key];
  if ("class" in line) body.class = line.class;
  return canonicalJson(body);
}

/** The signed answer line (canonical JSON), as surveys.answer_format.sign_answer. */
export function signAnswer(seed, body) {
  const signature = sign(seed, ANSWER_LABEL, signedPayload(body));
  return canonicalJson({ ...body, signature: toHex(signature) });
}

export function answerLine(manifest, fingerprint, credential, answers) {
  const body = answerBody(credential.surveyId, fingerprint, credential.audience, credentialJson(credential), checkAnswers(manifest, answers));
  return signAnswer(credential.seed, body);
}

export const answerHash = (line) => toHex(leafHash(line));

// --- shuffling per member ------------------------------------------------------------------

/**
 * A permutation of 0..n-1 fixed by the credential key and the question: the member sees
 * the same order after a reload, another member another order, and the server, which
 * never learns the key, cannot know it (nothing about the order is sent).
 */
export function shuffleOrder(publicKeyHex, questionId, n) {
  const order = [...Array(n).keys()];
  let pool = new Uint8Array(0);
  let counter = 0;
  const draw = () => {
    if (pool.length < 4) {
      pool = concatBytes(pool, domainHash(SHUFFLE_LABEL, { credential: publicKeyHex, question: questionId, block: counter++ }));
    }
    const value = ((pool[0] << 24) | (pool[1] << 16) | (pool[2] << 8) | pool[3]) >>> 0;
    pool = pool.slice(4);
    return value;
  };
  for (let i = n - 1; i > 0; i--) {
    // Rejection sampling: no modulo bias.
    const limit = Math.floor(0x100000000 / (i + 1)) * (i + 1);
    let value = draw();
    while (value >= limit) value = draw();
    const j = value % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}


