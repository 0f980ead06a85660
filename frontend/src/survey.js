// The answer page of a survey (/surveys/{id}): fetches the anonymous survey credential
// when the page opens, applies the conditions and the per-member shuffling, checks the
// answers with the manifest's own rules, signs them with the credential key and sends
// them WITHOUT the login session. Same bytes as surveys/client.py (./survey/format.js).
//
// DOM contract (templates/surveys/answer.html, templates/surveys/_questions.html):
//   <div id="survey-app" data-survey-id data-audience data-client-data-url
//        data-credential-url data-answers-url data-situation data-csrf-token>
//   (on the results page: <div id="survey-app" data-receipt-only data-survey-id
//   data-answers-url> with only the receipt check, templates/surveys/_receipt_check.html)
//   <div id="survey-form"> with <fieldset class="survey-question" data-question-id
//        data-type data-number data-required [data-shuffle] [data-condition-question
//        data-condition-values] disabled> (see _questions.html): the inputs carry
//        data-name, never name, so nothing can submit an answer in the clear; the
//        fieldsets are enabled only once this browser holds a credential.
//   #send-answers, #survey-status, #issued-notice,
//   <script type="application/json" id="survey-messages"> with the keys of FALLBACK.
//   document.body.dataset.surveyState: "ready", "working", "receipt" ("preview" on the
//   staff's preview: #survey-app[data-preview] with the manifest in
//   <script type="application/json" id="survey-manifest">; the questions are live, the
//   send button stays disabled and no credential is fetched).
//
// localStorage, one entry per survey under "stimmwerk.survey.<survey id>":
//   { secret } (15 random bytes, hex) BEFORE the credential is requested: every random
//     value of the request is derived from it, so a lost answer is asked again with the
//     same bytes (the server answers a repeated request with the same signature);
//   then { credential } right after it is unblinded, before it is used;
//   { pending: { line } } just before the answer is sent;
//   after the receipt only { answered: true, receipt } stays: the secret key is deleted.
//   receipt is { survey, answer_hash, fingerprint } at first; once the answer is on the
//   board it is replaced by the full receipt of record §10 (the seven fields of
//   GET .../answers/{hash}: its batch's signed checkpoint and inclusion path), which the
//   member also saves as a file ("Beleg speichern") for `stimmwerk verify --receipt`.
//
// The receipt to keep (#receipt-keep, document.body.dataset.receiptState "fetching",
// "waiting", "kept", "mismatch"): after answering, and whenever the answer page or the
// results page opens in a browser that holds an answer hash of the survey without the
// full receipt, it is looked up WITHOUT the login, again after RETRY_DELAYS_MS while the
// answer waits for its batch; then the page says to come back (answers are boarded in
// batches of 64, at the latest at the close).
import * as c from "./crypto/index.js";
import * as f from "./survey/format.js";

const STORAGE_PREFIX = "stimmwerk.survey.";
const FALLBACK = {
  credential: "Fetching your survey credential…",
  ready: "Your survey credential is ready in this browser. You can answer now.",
  sending: "Sending your answers…",
  done_title: "Thank you: your answers have been received.",
  done: "Your receipt (answer hash):",
  done_before: "You have already answered this survey in this browser.",
  receipt_note: "Answers are published in batches in shuffled order.",
  save_receipt: "Save the receipt",
  receipt_heading: "Your receipt to keep",
  receipt_fetching: "Fetching your receipt…",
  receipt_later: "Your answer waits for its batch, so your receipt is not ready yet.",
  receipt_kept: "Your receipt is ready and kept in this browser. Save it as a file too.",
  receipt_mismatch: "The receipt the server sent does not fit your answer.",
  receipt_where: "You can check your answer later on {link}, with the answer hash.",
  receipt_where_link: "the results page of this survey",
  receipt_auditors: "For auditors: the file is checked against the survey record with",
  receipt_command: "stimmwerk verify RECORD --receipt FILE",
  receipt_file_name: "survey-receipt-{hash}.json",
  failed: "That did not work:",
  network: "The server could not be reached. Check the connection and try again.",
  no_credential: "Your survey credential was already issued, but this browser does not hold it.",
  already_answered: "An answer with this credential has already been received.",
  fix_first: "Please check the questions marked in red.",
  required: "Question {number}: please answer this question.",
  too_many: "Question {number}: choose at most {max}.",
  too_few: "Question {number}: choose at least {min}.",
  out_of_range: "Question {number}: give a whole number from {min} to {max}.",
  not_number: "Question {number}: give a whole number.",
  too_long: "Question {number}: at most {max} characters.",
  statements: "Question {number}: please rate every statement, or none.",
  repeated_option: "Question {number}: each option can take only one place.",
  rank_gap: "Question {number}: fill the places from the first one on, without gaps.",
  invalid: "Question {number}: this answer is not possible.",
  characters_left: "{count} characters left",
  receipt_waiting: "Your answer was received. It waits for its batch.",
  receipt_on_board: "Your answer is on the board at place {place}.",
  receipt_unknown: "No answer with this hash was received in this survey.",
  receipt_invalid: "That is not an answer hash: it has 64 characters 0–9 and a–f.",
};

class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.serverMessage = message || "";
  }
}

function readMessages() {
  const element = document.getElementById("survey-messages");
  let parsed = {};
  try {
    parsed = element ? JSON.parse(element.textContent) : {};
  } catch {
    parsed = {};
  }
  return { ...FALLBACK, ...parsed };
}

function storageGet(key) {
  try {
    const raw = window.localStorage.getItem(key);
    return raw ? JSON.parse(raw) : {};
  } catch {
    return {};
  }
}

function storageSet(key, value) {
  // Throws if storage is unavailable: better to stop before the credential is issued.
  window.localStorage.setItem(key, JSON.stringify(value));
}

async function fetchJson(url, options) {
  const response = await fetch(url, options);
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiError(response.status, body && body.error, body && body.message);
  return body;
}

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
const paragraphOf = (text, className) => {
  const p = document.createElement("p");
  if (className) p.className = className;
  p.textContent = text;
  return p;
};
const fieldsets = (form) => [...form.querySelectorAll("fieldset.survey-question")];
const inputsOf = (fieldset, name) => [...fieldset.querySelectorAll(`[data-name="${CSS.escape(name)}"]`)];

/**
 * What the member has filled in for one question, as the answer format wants it, or
 * undefined if nothing. Throws AnswerRefused for what the format cannot express (a gap
 * in a ranking, a number that is not whole, a matrix rated in part).
 */
function readQuestion(fieldset) {
  const id = fieldset.dataset.questionId;
  const name = `q-${id}`;
  const type = fieldset.dataset.type;
  const checked = (inputs) => inputs.filter((input) => input.checked).map((input) => input.value);
  switch (type) {
    case "single_choice":
    case "yes_no_abstain": {
      const [value] = checked(inputsOf(fieldset, name));
      return value;
    }
    case "scale": {
      const [value] = checked(inputsOf(fieldset, name));
      return value === undefined ? undefined : Number(value);
    }
    case "multiple_choice": {
      // In the manifest's order, whatever order the shuffled page shows.
      const chosen = checked(inputsOf(fieldset, name));
      return chosen.length ? chosen : undefined;
    }
    case "matrix": {
      const out = {};
      let rated = 0;
      const statements = [...fieldset.querySelectorAll("fieldset[data-statement-id]")];
      for (const statement of statements) {
        const [value] = checked(inputsOf(statement, `${name}-${statement.dataset.statementId}`));
        if (value !== undefined) {
          out[statement.dataset.statementId] = Number(value);
          rated++;
        }
      }
      if (rated === 0) return undefined;
      if (rated !== statements.length) throw new f.AnswerRefused(id, "statements");
      return out;
    }
    case "ranking": {
      const selects = inputsOf(fieldset, `${name}-rank`).sort((a, b) => Number(a.dataset.rank) - Number(b.dataset.rank));
      const values = selects.map((select) => select.value);
      let last = values.length - 1;
      while (last >= 0 && values[last] === "") last--;
      if (last < 0) return undefined;
      if (values.slice(0, last + 1).some((value) => value === "")) throw new f.AnswerRefused(id, "rank_gap");
      return values.slice(0, last + 1);
    }
    case "number": {
      const [input] = inputsOf(fieldset, name);
      const text = input.value.trim();
      if (text === "") return input.validity && input.validity.badInput ? Number.NaN : undefined;
      if (!/^-?\d{1,13}$/.test(text)) throw new f.AnswerRefused(id, "not_number");
      return Number(text);
    }
    default: {
      const [input] = inputsOf(fieldset, name);
      return input.value.trim() === "" ? undefined : input.value;
    }
  }
}

// --- the receipt to keep (record §10) ----------------------------------------------------

/** Exactly what `stimmwerk verify RECORD --receipt FILE` takes (surveys/receipt_check.py). */
const RECEIPT_FIELDS = ["survey", "fingerprint", "answer_hash", "status", "index", "checkpoint", "inclusion_path"];
// Waits before asking again while the answer waits for its batch (25 s in all): with many
// members answering, a batch of 64 fills within seconds; otherwise the member is told to
// come back, and the page fetches the receipt then.
const RETRY_DELAYS_MS = [2000, 4000, 7000, 12000];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isFull = (receipt) => Boolean(receipt && receipt.status === "on_board" && typeof receipt.checkpoint === "string");

/** The tree size and root of a signed checkpoint, unverified (the page holds no board
 * key; `stimmwerk verify` checks the signature against the record's key). */
function checkpointBody(note) {
  const split = note.lastIndexOf("\n\n");
  return split < 0 ? null : c.parseCheckpointBody(c.utf8(note.slice(0, split + 1)));
}

/**
 * The receipt to keep, if `found` (the look-up's answer) is the full receipt of `mine`
 * ({ survey, answer_hash, fingerprint }) and holds together: same survey, fingerprint
 * and hash, and its inclusion path leads from the hash at its place to its checkpoint's
 * root. Only the fields of record §10, so the file verifies as it is. Otherwise null.
 */
function fullReceipt(found, mine) {
  try {
    if (!isFull(found) || found.survey !== mine.survey || found.answer_hash !== mine.answer_hash) return null;
    if (found.fingerprint !== mine.fingerprint || !Number.isSafeInteger(found.index) || found.index < 0) return null;
    const body = checkpointBody(found.checkpoint);
    const path = found.inclusion_path.map((hash) => c.fromHex(hash, 32));
    const leaf = c.fromHex(found.answer_hash, 32);
    if (!body || !c.verifyInclusion(BigInt(found.index), body.treeSize, path, leaf, body.rootHash)) return null;
    return Object.fromEntries(RECEIPT_FIELDS.map((key) => [key, found[key]]));
  } catch {
    return null;
  }
}

/**
 * Fills `area` (#receipt-keep) with this browser's receipt of the survey: looks it up
 * without the login until it is on the board (RETRY_DELAYS_MS), stores the full receipt
 * in place of the hash and offers it as a file; or says to come back later.
 */
function makeKeeper(app, messages, area) {
  const key = STORAGE_PREFIX + app.dataset.surveyId;
  const state = (name) => {
    document.body.dataset.receiptState = name;
  };
  const where = () => {
    const parts = [];
    if (app.dataset.resultsUrl) {
      const [before, after = ""] = messages.receipt_where.split("{link}");
      const link = document.createElement("a");
      link.href = app.dataset.resultsUrl;
      link.textContent = messages.receipt_where_link;
      const p = document.createElement("p");
      p.append(before, link, after);
      parts.push(p);
    }
    const auditors = paragraphOf(`${messages.receipt_auditors} `, "hint");
    const command = document.createElement("code");
    command.textContent = messages.receipt_command;
    auditors.append(command);
    parts.push(auditors);
    return parts;
  };
  const offer = (receipt) => {
    state("kept");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([`${JSON.stringify({ receipt }, null, 2)}\n`], { type: "application/json" }));
    link.download = fill(messages.receipt_file_name, { hash: receipt.answer_hash.slice(0, 16) });
    link.className = "button receipt-save";
    link.id = "save-receipt";
    link.textContent = messages.save_receipt;
    const button = document.createElement("p");
    button.append(link);
    area.replaceChildren(paragraphOf(messages.receipt_kept), button, ...where());
  };
  /** Store `found` if it is the full receipt of this browser's answer; true if so. */
  const take = (found) => {
    const stored = storageGet(key);
    const kept = stored.receipt && fullReceipt(found, stored.receipt);
    if (!kept) return false;
    try {
      storageSet(key, { ...stored, receipt: kept });
    } catch {
      // storage full or switched off: the file can still be saved now
    }
    offer(kept);
    return true;
  };
  async function run() {
    const mine = storageGet(key).receipt;
    if (!mine) return;
    if (isFull(mine)) {
      offer(mine);
      return;
    }
    state("fetching");
    area.replaceChildren(paragraphOf(messages.receipt_fetching));
    for (const delay of [0, ...RETRY_DELAYS_MS]) {
      if (delay) await sleep(delay);
      let found;
      try {
        const url = `${app.dataset.answersUrl}/${mine.answer_hash}`;
        found = (await fetchJson(url, { credentials: "omit", headers: { accept: "application/json" } })).receipt;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          state("mismatch");
          area.replaceChildren(paragraphOf(messages.receipt_unknown, "error"));
          return;
        }
        continue; // offline or too many look-ups: ask again after the next wait
      }
      if (found.status !== "on_board") continue;
      if (take(found)) return;
      state("mismatch");
      area.replaceChildren(paragraphOf(messages.receipt_mismatch, "error"));
      return;
    }
    state("waiting");
    area.replaceChildren(paragraphOf(messages.receipt_later), ...where());
  }
  return { run, take, answerHash: () => storageGet(key).receipt?.answer_hash };
}

let keeper = null; // the receipt to keep, once the page shows it

/**
 * The receipt check (#receipt-box: #receipt-hash, #receipt-check, #receipt-result):
 * looks the hash up WITHOUT the login (credentials "omit"), so the server never pairs a
 * logged-in person with an answer hash, whose answers are public on the board.
 */
function wireReceiptCheck(app, messages) {
  const box = document.getElementById("receipt-box");
  const input = document.getElementById("receipt-hash");
  const button = document.getElementById("receipt-check");
  const out = document.getElementById("receipt-result");
  if (!box || !input || !button || !out) return;
  const stored = storageGet(STORAGE_PREFIX + app.dataset.surveyId);
  // On the answer page it appears with the receipt; on the results page at once; on the
  // answer page of a closed survey (data-receipt-only="mine") if this browser answered.
  const only = app.dataset.receiptOnly;
  box.hidden = !((only !== undefined && only !== "mine") || stored.receipt);
  if (stored.receipt && !input.value) input.value = stored.receipt.answer_hash;
  if (only !== undefined && stored.receipt) {
    // The results page (and the closed answer page) hand over the receipt to keep, in a
    // section of its own above the check.
    const section = document.createElement("section");
    section.className = "receipt-box";
    section.setAttribute("aria-labelledby", "h-receipt-keep");
    const heading = document.createElement("h2");
    heading.id = "h-receipt-keep";
    heading.textContent = messages.receipt_heading;
    const area = document.createElement("div");
    area.id = "receipt-keep";
    area.setAttribute("role", "status");
    section.append(heading, area);
    box.before(section);
    keeper = makeKeeper(app, messages, area);
    keeper.run().catch(() => {});
  }
  const show = (text, className) => out.replaceChildren(paragraphOf(text, className));
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    const hash = input.value.trim().toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hash)) {
      show(messages.receipt_invalid, "error");
      return;
    }
    button.disabled = true;
    try {
      const answer = await fetchJson(`${app.dataset.answersUrl}/${hash}`, { credentials: "omit", headers: { accept: "application/json" } });
      const receipt = answer.receipt;
      if (receipt.status === "on_board") show(fill(messages.receipt_on_board, { place: receipt.index + 1 }));
      else show(messages.receipt_waiting);
      // This browser's own answer: keep its receipt if the page has not yet.
      if (keeper && hash === keeper.answerHash() && receipt.status === "on_board") keeper.take(receipt);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) show(messages.receipt_unknown, "error");
      else if (error instanceof TypeError) show(`${messages.failed} ${messages.network}`, "error");
      else show(`${messages.failed} ${error instanceof ApiError ? error.serverMessage : ""}`.trim(), "error");
    } finally {
      button.disabled = false;
    }
  });
}

function init() {
  const app = document.getElementById("survey-app");
  if (!app) return;
  const messages = readMessages();
  wireReceiptCheck(app, messages);
  const form = document.getElementById("survey-form");
  const status = document.getElementById("survey-status");
  const sendButton = document.getElementById("send-answers");
  if (!form || !status || !sendButton) return; // the results page: only the receipt check
  const urls = app.dataset;
  const surveyId = urls.surveyId;
  const storageKey = STORAGE_PREFIX + surveyId;
  let survey = null; // client data: { manifest, issuers, fingerprint, ... }

  const clear = () => status.replaceChildren();
  const paragraph = (text, className) => {
    const p = document.createElement("p");
    if (className) p.className = className;
    p.textContent = text;
    status.append(p);
    return p;
  };
  const say = (text, className) => {
    clear();
    return paragraph(text, className);
  };
  const fail = (error) => {
    // Only the server's own (translated) refusals are shown, never a browser's English.
    let detail = "";
    if (error instanceof ApiError) detail = error.serverMessage;
    else if (error instanceof TypeError) detail = messages.network;
    say(`${messages.failed} ${detail}`.trim(), "error");
  };
  const numberOf = (questionId) => form.querySelector(`fieldset[data-question-id="${CSS.escape(questionId)}"]`)?.dataset.number ?? "";

  // --- conditions ----------------------------------------------------------------------

  /** Show the questions whose condition holds; hidden ones are not answered. */
  function applyConditions() {
    const given = {};
    for (const fieldset of fieldsets(form)) {
      const target = fieldset.dataset.conditionQuestion;
      let visible = true;
      if (target) {
        const values = JSON.parse(fieldset.dataset.conditionValues || "[]");
        const answer = given[target];
        const chosen = answer === undefined ? [] : Array.isArray(answer) ? answer : [answer];
        visible = chosen.some((value) => values.includes(value));
      }
      fieldset.hidden = !visible;
      if (!visible) continue;
      try {
        const value = readQuestion(fieldset);
        if (value !== undefined) given[fieldset.dataset.questionId] = value;
      } catch {
        // a half-filled question gives no value for the conditions
      }
    }
  }

  // --- shuffling per credential ------------------------------------------------------------

  function shuffle(publicKeyHex) {
    for (const fieldset of fieldsets(form)) {
      if (!("shuffle" in fieldset.dataset)) continue;
      for (const group of fieldset.querySelectorAll("[data-shuffle-group]")) {
        const items = [...group.querySelectorAll(":scope > [data-shuffle-item]")];
        const order = f.shuffleOrder(publicKeyHex, fieldset.dataset.questionId, items.length);
        for (const index of order) group.append(items[index]);
      }
    }
  }

  // --- the credential ----------------------------------------------------------------------

  async function loadSurvey() {
    if (survey) return survey;
    const data = await fetchJson(urls.clientDataUrl, { credentials: "same-origin", headers: { accept: "application/json" } });
    if (String(data.id) !== surveyId) throw new Error("client data belongs to another survey");
    survey = data;
    return survey;
  }

  function issuerOf(audience) {
    const spki = survey.issuers && survey.issuers[audience];
    if (!spki) throw new Error("no issuer for this audience");
    return c.blindRsa.parseSpki(spki);
  }

  const credentialFromStore = (stored) => ({
    surveyId,
    audience: stored.audience,
    seed: c.fromHex(stored.secret_key, 32),
    publicKeyHex: stored.public_key,
    prefix: c.fromHex(stored.prefix, 32),
    signature: c.fromHex(stored.signature),
  });

  async function fetchCredential(secretHex, audience) {
    const issuer = issuerOf(audience);
    const request = f.requestCredential(issuer, surveyId, audience, c.fromHex(secretHex));
    const answer = await fetchJson(urls.credentialUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json", "x-csrftoken": urls.csrfToken },
      body: JSON.stringify({ blinded_msg: c.toHex(request.state.blindedMsg) }),
    });
    if (answer.audience !== audience) throw new Error("the credential is for another audience");
    const credential = f.finishCredential(issuer, request, c.fromHex(answer.blind_signature));
    storageSet(storageKey, {
      secret: secretHex,
      credential: {
        audience,
        secret_key: c.toHex(credential.seed),
        public_key: credential.publicKeyHex,
        prefix: c.toHex(credential.prefix),
        signature: c.toHex(credential.signature),
      },
    });
    return credential;
  }

  function unlock(credential) {
    shuffle(credential.publicKeyHex);
    for (const input of form.querySelectorAll("input[data-name]")) {
      // Radios need a common name to act as a group; there is no <form> to submit them.
      if (input.type === "radio") input.name = `${input.dataset.name}-${surveyId}`;
    }
    for (const fieldset of fieldsets(form)) fieldset.disabled = false;
    applyConditions();
    sendButton.disabled = false;
    const issued = document.getElementById("issued-notice");
    if (issued) issued.hidden = true;
    document.body.dataset.surveyState = "ready";
    say(messages.ready);
  }

  async function prepare() {
    applyConditions();
    await loadSurvey();
    const stored = storageGet(storageKey);
    if (stored.answered && stored.receipt) {
      showReceipt(stored.receipt, true);
      return;
    }
    if (stored.credential) {
      unlock(credentialFromStore(stored.credential));
      return;
    }
    const audience = urls.audience;
    if (stored.secret || urls.situation === "ready") {
      const secret = stored.secret || c.toHex(c.randomBytes(f.SECRET_BYTES));
      if (!stored.secret) storageSet(storageKey, { secret });
      say(messages.credential);
      try {
        unlock(await fetchCredential(secret, audience));
        return;
      } catch (error) {
        if (!(error instanceof ApiError && error.code === "already_issued")) throw error;
      }
    }
    say(messages.no_credential, "error");
  }

  // --- answering -----------------------------------------------------------------------------

  function showProblem(fieldset, text) {
    const slot = fieldset.querySelector(".question-error");
    fieldset.classList.toggle("has-error", Boolean(text));
    if (!slot) return;
    if (text) slot.setAttribute("role", "alert");
    slot.textContent = text || "";
  }

  function problemText(refused) {
    const number = numberOf(refused.question);
    const key = refused.code in messages && refused.code !== "failed" ? refused.code : "invalid";
    return fill(messages[key], { number, ...refused.detail });
  }

  /** The answers as the format wants them, or null after marking what is wrong. */
  function collect() {
    for (const fieldset of fieldsets(form)) showProblem(fieldset, "");
    applyConditions();
    const raw = {};
    let first = null;
    for (const fieldset of fieldsets(form)) {
      if (fieldset.hidden) continue;
      try {
        const value = readQuestion(fieldset);
        if (value !== undefined) raw[fieldset.dataset.questionId] = value;
      } catch (error) {
        if (!(error instanceof f.AnswerRefused)) throw error;
        showProblem(fieldset, problemText(error));
        first = first || fieldset;
      }
    }
    if (!first) {
      try {
        return f.checkAnswers(survey.manifest, raw);
      } catch (error) {
        if (!(error instanceof f.AnswerRefused)) throw error;
        const fieldset = form.querySelector(`fieldset[data-question-id="${CSS.escape(error.question ?? "")}"]`);
        if (fieldset) showProblem(fieldset, problemText(error));
        first = fieldset || form;
      }
    }
    say(messages.fix_first, "error");
    first.querySelector("input, select, textarea")?.focus();
    return null;
  }

  function showReceipt(receipt, before = false) {
    clear();
    const box = document.createElement("div");
    box.className = "survey-receipt";
    box.id = "survey-receipt";
    const title = document.createElement("h2");
    title.tabIndex = -1;
    title.textContent = before ? messages.done_before : messages.done_title;
    box.append(title);
    const lead = document.createElement("p");
    lead.textContent = messages.done;
    const code = document.createElement("code");
    code.className = "answer-hash";
    code.textContent = receipt.answer_hash;
    const note = document.createElement("p");
    note.textContent = messages.receipt_note;
    const hashLine = document.createElement("p");
    hashLine.append(code);
    const area = document.createElement("div");
    area.id = "receipt-keep"; // inside #survey-status, which is already a live region
    box.append(lead, hashLine, note, area);
    status.append(box);
    const lookup = document.getElementById("receipt-hash");
    if (lookup) lookup.value = receipt.answer_hash;
    const lookupBox = document.getElementById("receipt-box");
    if (lookupBox) lookupBox.hidden = false;
    for (const fieldset of fieldsets(form)) fieldset.disabled = true;
    sendButton.disabled = true;
    sendButton.hidden = true;
    const issued = document.getElementById("issued-notice");
    if (issued) issued.hidden = true;
    document.body.dataset.surveyState = "receipt";
    title.focus();
    keeper = makeKeeper(app, messages, area);
    keeper.run().catch(() => {});
  }

  async function send() {
    await loadSurvey();
    const stored = storageGet(storageKey);
    if (stored.answered && stored.receipt) {
      showReceipt(stored.receipt, true);
      return;
    }
    if (!stored.credential) {
      say(messages.no_credential, "error");
      return;
    }
    const answers = collect();
    if (answers === null) return;
    const credential = credentialFromStore(stored.credential);
    const body = f.answerBody(surveyId, survey.fingerprint, credential.audience, f.credentialJson(credential), answers);
    const line = f.signAnswer(credential.seed, body);
    storageSet(storageKey, { ...stored, pending: { line: c.toHex(line), answer_hash: f.answerHash(line) } });
    say(messages.sending);
    document.body.dataset.surveyState = "working";
    try {
      // No cookie, no login: only the signed line travels.
      const answer = await fetchJson(urls.answersUrl, {
        method: "POST",
        credentials: "omit",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: line,
      });
      const receipt = { survey: surveyId, answer_hash: answer.receipt.answer_hash, fingerprint: answer.receipt.fingerprint };
      storageSet(storageKey, { answered: true, receipt });
      showReceipt(receipt);
    } catch (error) {
      document.body.dataset.surveyState = "ready";
      if (error instanceof ApiError && error.code === "already_answered") {
        const pending = stored.pending;
        if (pending) {
          // Sent before and the answer to it was lost: that earlier line is the one counted.
          const receipt = { survey: surveyId, answer_hash: pending.answer_hash, fingerprint: survey.fingerprint };
          storageSet(storageKey, { answered: true, receipt });
          showReceipt(receipt, true);
          return;
        }
        say(messages.already_answered, "error");
        return;
      }
      throw error;
    }
  }

  // --- wiring --------------------------------------------------------------------------------

  form.addEventListener("change", (event) => {
    applyConditions();
    const fieldset = event.target && event.target.closest("fieldset.survey-question");
    if (fieldset && fieldset.classList.contains("has-error")) showProblem(fieldset, "");
    // Never more ticks than allowed: the tick past the maximum is taken back at once.
    const input = event.target;
    if (fieldset && input.type === "checkbox" && input.checked && fieldset.dataset.type === "multiple_choice") {
      const question = f.questionsOf(survey ? survey.manifest : { sections: [] }).find((q) => q.id === fieldset.dataset.questionId);
      const ticked = inputsOf(fieldset, `q-${fieldset.dataset.questionId}`).filter((box) => box.checked).length;
      if (question && ticked > question.maxChoices) {
        input.checked = false;
        showProblem(fieldset, fill(messages.too_many, { number: fieldset.dataset.number, max: question.maxChoices }));
      }
    }
  });
  form.addEventListener("input", (event) => {
    const input = event.target;
    if (!input.matches("textarea, input[type=text]")) return;
    const slot = document.getElementById(`count-${input.dataset.name.slice(2)}`);
    const limit = Number(input.getAttribute("maxlength"));
    if (slot && limit) slot.textContent = fill(messages.characters_left, { count: limit - [...input.value].length });
  });
  sendButton.addEventListener("click", async (event) => {
    event.preventDefault();
    if (sendButton.disabled) return;
    sendButton.disabled = true;
    try {
      await send();
    } catch (error) {
      fail(error);
    } finally {
      if (document.body.dataset.surveyState !== "receipt") sendButton.disabled = false;
    }
  });

  if ("preview" in app.dataset) startPreview();
  else prepare().catch(fail);

  /** The staff's preview: the questions live (conditions, limits), nothing to send. */
  function startPreview() {
    const data = document.getElementById("survey-manifest");
    survey = { manifest: JSON.parse(data ? data.textContent : "{\"sections\": []}") };
    for (const input of form.querySelectorAll("input[data-name]")) {
      if (input.type === "radio") input.name = `${input.dataset.name}-preview`;
    }
    for (const fieldset of fieldsets(form)) fieldset.disabled = false;
    applyConditions();
    document.body.dataset.surveyState = "preview";
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
