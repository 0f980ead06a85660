// Independent check of an opened ("audited") ballot (Benaloh cast-or-audit).
//
// Deliberately NOT the code that encrypted the ballot: this module does not import
// ../crypto/ballot.js, elgamal.js, proofs.js or canonical.js. It reuses only the group
// primitives (../crypto/group.js: ristretto255 decoding, g^x, K^x, point addition) and
// SHA-256 from @noble/hashes, and re-implements the few formats it needs from the
// documents (docs/browser-client.md "Checking an opened ballot", docs/election-record.md):
//
//   for every question q and option o of the manifest, with (m, r) the revealed opening:
//     m is 0 or 1, and  alpha == g^r  and  beta == g^m · K^r   (exponential ElGamal)
//   and the number of 1s of question q lies in [min_selections, max_selections].
//
// K (the election's joint public key) and the manifest come from the election's public
// data (GET /api/elections/{id}/client-data), never from the audit file alone: a file
// could carry a made-up key under which anything "opens". The manifest hash is
// recomputed here (RFC 8785 canonical JSON, SHA-256 with the domain label).
import { sha256 } from "@noble/hashes/sha2.js";
import { add, baseMul, mul, pointFromHex, pointToHex, scalarFromHex } from "../crypto/group.js";

export const AUDIT_FORMAT = "stimmwerk/ballot-audit/v1";
const MANIFEST_LABEL = "stimmwerk/manifest/v1";
const HEX64 = /^[0-9a-f]{64}$/;

const encoder = new TextEncoder();

/** RFC 8785 for the JSON subset of the record (no floats), written from the RFC. */
export function canonical(value) {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error("number is not a safe integer");
    return String(value === 0 ? 0 : value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object") {
    // Array.prototype.sort without a comparator orders by UTF-16 code units (RFC 8785 §3.2.3).
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(",")}}`;
  }
  throw new Error(`unsupported JSON value ${typeof value}`);
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** H(label, value) = SHA-256(label || 0x00 || canonical(value)), hex. */
export const domainHashHex = (label, value) =>
  hex(sha256(concat(encoder.encode(label), new Uint8Array([0]), encoder.encode(canonical(value)))));

/** The ballot's identifier as the booth shows it: RFC 9162 leaf hash of its canonical JSON. */
export const ballotHashHex = (body) => hex(sha256(concat(new Uint8Array([0]), encoder.encode(canonical(body)))));

/** (g^r, g^m · K^r) as hex: the encryption redone from the revealed opening. */
export function reEncrypt(jointKey, m, r) {
  const alpha = baseMul(r);
  const gm = m === 1 ? baseMul(1n) : null;
  const kr = mul(jointKey, r);
  return { alpha: pointToHex(alpha), beta: pointToHex(gm ? add(gm, kr) : kr) };
}

const problem = (code, detail = {}) => ({ code, ...detail });

/**
 * Check an opened ballot `audit` (parsed JSON, format AUDIT_FORMAT) against the election's
 * public data `clientData` ({ election_id, manifest, keys }). Never throws.
 *
 * Returns { ok, problems: [{ code, question?, option? }], choices: { qid: [oid] } | null,
 * ballotHash, electionId }. `choices` is what the ciphertexts contain; compare it with
 * what you chose.
 */
export function checkAudit(audit, clientData) {
  const problems = [];
  const result = { ok: false, problems, choices: null, ballotHash: null, electionId: null };
  try {
    if (!audit || typeof audit !== "object" || audit.format !== AUDIT_FORMAT) {
      problems.push(problem("not_an_audit"));
      return result;
    }
    const { manifest, keys } = clientData;
    const ballot = audit.ballot;
    result.electionId = String(manifest.election_id);
    result.ballotHash = ballotHashHex(ballot);
    const manifestHash = domainHashHex(MANIFEST_LABEL, manifest);
    if (!keys || keys.manifest_hash !== manifestHash || !keys.joint_public_key) {
      problems.push(problem("election_data"));
      return result;
    }
    if (String(ballot.election_id) !== result.electionId || String(audit.election_id) !== result.electionId) {
      problems.push(problem("other_election"));
      return result;
    }
    if (ballot.manifest_hash !== manifestHash) {
      problems.push(problem("other_manifest"));
      return result;
    }
    if (typeof audit.ballot_hash === "string" && audit.ballot_hash !== result.ballotHash) {
      problems.push(problem("hash_mismatch"));
    }
    const jointKey = pointFromHex(keys.joint_public_key);
    const questions = manifest.questions;
    if (!Array.isArray(ballot.answers) || ballot.answers.length !== questions.length || audit.openings.length !== questions.length) {
      problems.push(problem("shape"));
      return result;
    }
    const choices = {};
    questions.forEach((question, q) => {
      const answer = ballot.answers[q];
      const row = audit.openings[q];
      const options = question.options.map((o) => String(o.id));
      if (String(answer.question) !== String(question.id) || answer.ciphertexts.length !== options.length || row.length !== options.length) {
        problems.push(problem("shape", { question: q + 1 }));
        return;
      }
      const chosen = [];
      options.forEach((option, o) => {
        const [m, rHex] = row[o];
        const given = answer.ciphertexts[o];
        if ((m !== 0 && m !== 1) || typeof rHex !== "string" || !HEX64.test(rHex)) {
          problems.push(problem("opening", { question: q + 1, option }));
          return;
        }
        const again = reEncrypt(jointKey, m, scalarFromHex(rHex));
        if (again.alpha !== given.alpha || again.beta !== given.beta) {
          problems.push(problem("opening", { question: q + 1, option }));
          return;
        }
        if (m === 1) chosen.push(option);
      });
      if (chosen.length < question.min_selections || chosen.length > question.max_selections) {
        problems.push(problem("count", { question: q + 1 }));
      }
      choices[String(question.id)] = chosen;
    });
    result.choices = choices;
    if (audit.choices && typeof audit.choices === "object") {
      for (const question of questions) {
        const id = String(question.id);
        const said = [...(audit.choices[id] ?? [])].map(String).sort();
        const found = [...(choices[id] ?? [])].sort();
        if (said.length !== found.length || said.some((o, i) => o !== found[i])) {
          problems.push(problem("choices_differ", { question: questions.indexOf(question) + 1 }));
        }
      }
    }
  } catch (error) {
    problems.push(problem("malformed", { detail: String(error && error.message ? error.message : error) }));
  }
  result.ok = problems.length === 0;
  return result;
}
