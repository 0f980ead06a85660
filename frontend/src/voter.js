// The member's vote page (/referendums/{id}/vote): encrypts, proves and signs the
// ballot in this browser, with the cryptography in ./crypto (same bytes as the Python
// client ballots/client.py).
//
// DOM contract (templates/referendums/vote.html):
//   <div id="vote-app" data-client-data-url data-credential-url data-cast-url
//        data-board-url data-situation data-csrf-token>  (board URL: the API base;
//        "/<ballot hash>" is appended to look a receipt up; situation as the server
//        saw it: "ready" (no credential issued yet) or "issued")
//   <div id="ballot-form"> (no <form>: nothing can ever submit a choice in the clear)
//        with <fieldset data-question-id disabled> holding
//        <input type=radio|checkbox data-name="q-<question id>" value="<option id>">;
//        the fieldsets and buttons are enabled only once this client holds a credential.
//   #recovery-entry (input #recovery-code-input, button #recovery-submit) and
//   #recovery-show (code #recovery-code): the Wiederherstellungscode (docs/protocol.md §2.4).
//   The booth (issue 10): #review-ballot ("Weiter zur Überprüfung") checks every question
//   (messages name the question: "Bei Frage 2 …"; a checkbox question refuses the tick
//   past its maximum as it is made; a question that may stay blank needs a tick in its
//   <input data-abstain> box), ENCRYPTS the ballot and shows section #ballot-review
//   (#review-choices, #review-ballot-hash). There, #cast-ballot signs and sends exactly
//   that encrypted ballot, #change-ballot goes back, and #check-ballot (Benaloh audit)
//   opens it instead: the nonces are revealed into #audit-result (choices in
//   #audit-choices, the check data as a download and in a text box, a link to the
//   independent check page data-ballot-check-url), the opened ballot is thrown away and
//   a fresh encryption takes its place. Encrypting before the member picks "cast" or
//   "check" is what makes the check mean something: the device cannot know which
//   ballot will be opened.
//   <div id="vote-status">, #issued-notice (hidden once this browser knows the vote is
//   cast), <script type="application/json" id="vote-messages"> with the keys of FALLBACK.
//   document.body.dataset.voteState: "review", "audited", "working", "receipt".
//
// The credential is fetched when the page opens (long before the cast, so the server
// cannot pair the logged-in request with the anonymous cast by time), derived from a
// fresh recovery code (crypto/recovery.js) that is stored first and shown to the member.
//
// localStorage, one entry per election under "stimmwerk.vote.<election id>":
//   { recovery_code } before the credential is requested (a lost answer is re-requested
//     with the same bytes), then { credential: { election_id, secret_key, public_key,
//     prefix, signature } } right after it is unblinded, BEFORE it is used, so a reload can
//     finish the vote; plus { pending: { ballot_hash } } just before the ballot is sent;
//   after the receipt is checked the credential (and its secret key) is deleted and
//   only { voted: true, receipt } stays (the receipt is public: hash, index, checkpoint).
import * as c from "./crypto/index.js";

const STORAGE_PREFIX = "stimmwerk.vote.";
const FALLBACK = {
  credential: "Fetching your voting credential…",
  encrypting: "Encrypting your ballot in this browser…",
  sending: "Casting your ballot…",
  done: "Your vote has been cast. Your receipt (ballot hash):",
  save_receipt: "Save receipt",
  receipt_checked: "Receipt checked: your ballot is on the bulletin board under a signed checkpoint.",
  audit_result: "Check: this encrypted ballot contains exactly these choices:",
  audit_discarded: "This checked ballot has been discarded; your vote will be encrypted afresh when you cast it.",
  choose: "Please make a valid choice for every question.",
  failed: "That did not work:",
  network: "The server could not be reached. Check the connection and try again.",
  no_credential:
    "This browser does not hold your voting credential any more, and it was already issued. If you have voted, your receipt is your proof; otherwise contact the election commission.",
  audit_failed: "Warning: the check FAILED. Do not vote from this device and tell the election commission.",
  recovery_wrong: "This recovery code does not belong to the credential issued to you. Please check it, or contact the election commission.",
  recovery_invalid: "That is not a recovery code: it has 24 letters and digits (A–Z, 2–7), in groups of four.",
  already_voted: "A ballot with this credential is already on the bulletin board: you have voted.",
  // Optional (not in the fixed list): shown if the receipt does not verify.
  receipt_failed: "That did not work: the receipt does not match the signed checkpoint of the bulletin board.",
  // The booth ({number}: the question's number on the ballot).
  too_many: "Question {number}: you may choose at most {max} options.",
  too_few: "Question {number}: please choose at least {min} options.",
  missing: "Question {number}: you have not chosen an answer yet.",
  missing_or_abstain: "Question {number}: you have not chosen anything. Choose an option or tick “I abstain on this question”.",
  fix_first: "Please check the questions marked in red.",
  abstained: "Abstention (no option chosen)",
  voted_title: "Your vote has been cast.",
  voted_before: "You have already voted in this member vote. Your vote has been cast.",
  audit_explain: "The check opened this encrypted ballot. It contains exactly the choice shown here. Compare it with what you chose. This opened ballot has been thrown away and does not count; your choice has been encrypted afresh for casting.",
  audit_save: "Save check data",
  audit_data: "Check data (to copy)",
  audit_elsewhere: "For a check that does not rely on this device's program, open the check page, best on another device, and paste or load the check data there:",
  audit_link: "Open the check page",
};

class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.serverMessage = message || ""; // the server's refusals are already translated
  }
}

function readMessages() {
  const element = document.getElementById("vote-messages");
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

/** { questionId: [optionId, ...] } from the form, in the form's option order. */
function readChoices(form) {
  const choices = {};
  for (const fieldset of form.querySelectorAll("fieldset[data-question-id]")) {
    const id = fieldset.dataset.questionId;
    choices[id] = [...fieldset.querySelectorAll(`input[data-name="q-${CSS.escape(id)}"]`)]
      .filter((input) => input.checked)
      .map((input) => input.value);
  }
  return choices;
}

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));

/** What is wrong with one question's ticks, as a message naming the question, or null. */
function questionProblem(fieldset, messages) {
  const id = fieldset.dataset.questionId;
  const number = Number(fieldset.querySelector(".question-error")?.dataset.questionNumber ?? 0) || "";
  const min = Number(fieldset.dataset.min);
  const max = Number(fieldset.dataset.max);
  const chosen = [...fieldset.querySelectorAll(`input[data-name="q-${CSS.escape(id)}"]`)].filter((i) => i.checked).length;
  const abstain = fieldset.querySelector("input[data-abstain]");
  if (chosen > max) return fill(messages.too_many, { number, max });
  if (chosen === 0 && min === 0 && abstain && !abstain.checked) return fill(messages.missing_or_abstain, { number });
  if (chosen === 0 && min > 0) return fill(messages.missing, { number });
  if (chosen < min) return fill(messages.too_few, { number, min });
  return null;
}

function showProblem(fieldset, text) {
  const slot = fieldset.querySelector(".question-error");
  fieldset.classList.toggle("has-error", Boolean(text));
  if (!slot) return;
  if (text) slot.setAttribute("role", "alert");
  slot.textContent = text || "";
}

function init() {
  const app = document.getElementById("vote-app");
  const form = document.getElementById("ballot-form");
  const status = document.getElementById("vote-status");
  const reviewButton = document.getElementById("review-ballot");
  const checkButton = document.getElementById("check-ballot");
  const castButton = document.getElementById("cast-ballot");
  const changeButton = document.getElementById("change-ballot");
  const review = document.getElementById("ballot-review");
  const auditResult = document.getElementById("audit-result");
  if (!app || !form || !status || !castButton || !reviewButton || !review) return;
  const messages = readMessages();
  const urls = app.dataset;
  const buttons = [reviewButton, checkButton, castButton, changeButton].filter(Boolean);
  let election = null; // { data, keys, storageKey }
  let sealed = null; // the encrypted ballot under review: cast as it is, or opened by the check
  let sealedChoices = null;

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
    // Only the server's own (translated) refusals are shown. A browser error ("Failed to
    // fetch") or an internal check never reaches the member in English.
    let detail = "";
    if (error instanceof ApiError) detail = error.serverMessage;
    else if (error instanceof TypeError) detail = messages.network;
    say(`${messages.failed} ${detail}`.trim(), "error");
  };
  const busy = (on) => {
    const state = document.body.dataset.voteState;
    if (state === "receipt") return; // done: stays disabled
    // After a failed check this device must not cast: "Abstimmen" stays off.
    for (const button of buttons) button.disabled = on || (state === "audit-failed" && button === castButton);
    if (on) document.body.dataset.voteState = "working";
    else if (document.body.dataset.voteState === "working") {
      if (review.hidden) delete document.body.dataset.voteState;
      else document.body.dataset.voteState = "review";
    }
  };

  const labelOf = (questionId, optionId) => {
    const input = form.querySelector(`input[data-name="q-${CSS.escape(questionId)}"][value="${CSS.escape(optionId)}"]`);
    const label = input && form.querySelector(`label[for="${CSS.escape(input.id)}"]`);
    return label ? label.textContent.trim() : optionId;
  };
  const questionText = (questionId) => {
    const legend = form.querySelector(`fieldset[data-question-id="${CSS.escape(questionId)}"] legend`);
    return legend ? legend.textContent.trim().replace(/\s+/g, " ") : questionId;
  };

  async function loadElection() {
    if (election) return election;
    const data = await fetchJson(urls.clientDataUrl, { credentials: "same-origin", headers: { accept: "application/json" } });
    const keys = c.electionKeysFromRecord(data.manifest, data.keys);
    if (data.election_id !== undefined && String(data.election_id) !== keys.electionId) {
      throw new Error("client data belongs to another election");
    }
    election = { data, keys, storageKey: STORAGE_PREFIX + keys.electionId };
    return election;
  }

  function showReceipt(receipt, checked, before = false) {
    clear();
    review.hidden = true;
    const issued = document.getElementById("issued-notice");
    if (issued) issued.hidden = true;
    const recoveryShow = document.getElementById("recovery-show");
    if (recoveryShow) recoveryShow.hidden = true;
    const box = document.createElement("div");
    box.className = "vote-confirmation";
    box.id = "vote-confirmation";
    const title = document.createElement("h2");
    title.tabIndex = -1;
    title.textContent = before ? messages.voted_before : messages.voted_title;
    box.append(title);
    status.append(box);
    paragraph(messages.done);
    const code = document.createElement("code");
    code.className = "ballot-hash";
    code.textContent = receipt.ballot_hash;
    const p = document.createElement("p");
    p.append(code);
    status.append(p);
    paragraph(checked ? messages.receipt_checked : messages.receipt_failed, checked ? "success" : "error");
    const blob = new Blob([`${JSON.stringify({ election_id: election.keys.electionId, ...receipt }, null, 2)}\n`], {
      type: "application/json",
    });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `stimmzettel-quittung-${receipt.ballot_hash.slice(0, 16)}.json`;
    link.className = "button booth-button";
    link.id = "save-receipt";
    link.textContent = messages.save_receipt;
    const actions = document.createElement("p");
    actions.append(link);
    status.append(actions);
    for (const fieldset of form.querySelectorAll("fieldset")) fieldset.disabled = true;
    for (const input of form.querySelectorAll("input, button")) input.disabled = true;
    for (const button of buttons) button.disabled = true;
    document.body.dataset.voteState = "receipt";
    title.focus();
  }

  /** Check a receipt against the ballot line; store it; forget the credential. */
  function finish(receipt, line) {
    const { keys, storageKey } = election;
    const checked = c.checkReceipt(receipt, line, keys.boardPublicKey, keys.boardOrigin);
    // The ballot is on the board either way (the server accepted it): the credential
    // secret is no longer needed and must not linger.
    storageSet(storageKey, { voted: true, receipt, receipt_checked: checked });
    showReceipt(receipt, checked);
  }

  async function credentialFor() {
    const stored = storageGet(election.storageKey);
    if (stored.credential) return c.credentialFromJson(stored.credential);
    throw new ApiError(409, "already_issued", messages.no_credential);
  }

  /** Request the credential derived from `code` (a fresh one, or the member's). */
  async function fetchCredential(code) {
    const { keys, storageKey } = election;
    const codeBytes = c.recovery.parseCode(code);
    const request = c.recovery.recoverableRequest(keys.issuer, keys.electionId, codeBytes);
    const answer = await fetchJson(urls.credentialUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json", "x-csrftoken": urls.csrfToken },
      body: JSON.stringify({ blinded_msg: c.toHex(request.state.blindedMsg) }),
    });
    const credential = c.finishCredential(keys.issuer, request, c.fromHex(answer.blind_signature));
    storageSet(storageKey, { ...storageGet(storageKey), recovery_code: code, credential: c.credentialToJson(credential) });
    return credential;
  }

  const unlock = () => {
    for (const fieldset of form.querySelectorAll("fieldset[data-question-id]")) fieldset.disabled = false;
    reviewButton.disabled = false;
    const entry = document.getElementById("recovery-entry");
    if (entry) entry.hidden = true;
    const issued = document.getElementById("issued-notice");
    if (issued) issued.hidden = true; // this browser holds the credential: nothing to explain
    document.body.dataset.credential = "ready";
  };

  const showCode = (code) => {
    const box = document.getElementById("recovery-show");
    const slot = document.getElementById("recovery-code");
    if (!box || !slot) return;
    slot.textContent = code;
    box.hidden = false;
  };

  /** On page load: make sure this browser holds the credential before anything is filled in. */
  async function prepare() {
    await loadElection();
    const stored = storageGet(election.storageKey);
    if (stored.voted && stored.receipt) {
      showReceipt(stored.receipt, stored.receipt_checked !== false, true);
      return;
    }
    if (stored.credential) {
      if (stored.recovery_code) showCode(stored.recovery_code);
      unlock();
      return;
    }
    if (stored.recovery_code || app.dataset.situation === "ready") {
      // A fresh code is stored before the request, so a lost answer is asked again
      // with the same bytes (the server answers a repeated request the same way).
      const code = stored.recovery_code || c.recovery.newRecoveryCode();
      if (!stored.recovery_code) storageSet(election.storageKey, { ...stored, recovery_code: code });
      say(messages.credential);
      try {
        await fetchCredential(code);
        clear();
        showCode(code);
        unlock();
        return;
      } catch (error) {
        if (!(error instanceof ApiError && error.code === "already_issued")) throw error;
      }
    }
    askForCode();
  }

  function askForCode() {
    const entry = document.getElementById("recovery-entry");
    const input = document.getElementById("recovery-code-input");
    const submit = document.getElementById("recovery-submit");
    if (!entry || !input || !submit) {
      say(messages.no_credential, "error");
      return;
    }
    entry.hidden = false;
    document.body.dataset.credential = "missing";
    submit.onclick = async () => {
      const code = input.value;
      if (c.recovery.parseCode(code) === null) {
        say(messages.recovery_invalid, "error");
        return;
      }
      submit.disabled = true;
      try {
        say(messages.credential);
        await fetchCredential(c.recovery.formatCode(c.recovery.parseCode(code)));
        clear();
        unlock();
      } catch (error) {
        if (error instanceof ApiError && error.code === "already_issued") say(messages.recovery_wrong, "error");
        else fail(error);
      } finally {
        submit.disabled = false;
      }
    };
  }

  async function lookUp(ballotHash) {
    const answer = await fetchJson(`${urls.boardUrl}/${ballotHash}`, { credentials: "omit", headers: { accept: "application/json" } });
    return answer.receipt;
  }

  /** Every question checked; the first wrong one is focused. True if all are fine. */
  function checkAll() {
    let first = null;
    for (const fieldset of form.querySelectorAll("fieldset[data-question-id]")) {
      const problem = questionProblem(fieldset, messages);
      showProblem(fieldset, problem);
      if (problem && !first) first = fieldset;
    }
    if (first) {
      say(messages.fix_first, "error");
      const target = first.querySelector("input");
      if (target) target.focus();
      return false;
    }
    clear();
    return true;
  }

  /** Encrypt the current choices with the credential: the ballot under review. */
  async function seal(choices) {
    const { keys } = election;
    const credential = await credentialFor();
    say(messages.encrypting);
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the status paint
    sealed = c.encryptBallot(keys, credential, choices);
    sealedChoices = choices;
    const hashSlot = document.getElementById("review-ballot-hash");
    if (hashSlot) hashSlot.textContent = c.ballotHash(c.canonicalJson(sealed.body));
    clear();
  }

  function fillReview(choices) {
    const list = document.getElementById("review-choices");
    if (!list) return;
    list.replaceChildren();
    for (const q of election.keys.questions) {
      const item = document.createElement("li");
      const question = document.createElement("span");
      question.textContent = questionText(q.id);
      const answer = document.createElement("span");
      answer.className = "answer";
      const chosen = (choices[q.id] ?? []).map((o) => labelOf(q.id, o));
      answer.textContent = chosen.length ? chosen.join(", ") : messages.abstained;
      item.append(question, answer);
      list.append(item);
    }
  }

  async function toReview() {
    if (!checkAll()) return;
    const choices = readChoices(form);
    await loadElection();
    if (!c.validChoices(election.keys, choices)) {
      say(messages.choose, "error");
      return;
    }
    try {
      await seal(choices);
    } catch (error) {
      if (error instanceof ApiError && error.code === "already_issued") {
        say(messages.no_credential, "error");
        return;
      }
      throw error;
    }
    fillReview(choices);
    if (auditResult) auditResult.replaceChildren();
    for (const fieldset of form.querySelectorAll("fieldset[data-question-id]")) fieldset.disabled = true;
    reviewButton.hidden = true;
    review.hidden = false;
    castButton.disabled = false;
    if (checkButton) checkButton.disabled = false;
    document.body.dataset.voteState = "review";
    document.getElementById("review-title")?.focus();
  }

  function backToBallot() {
    sealed = null;
    sealedChoices = null;
    review.hidden = true;
    reviewButton.hidden = false;
    for (const fieldset of form.querySelectorAll("fieldset[data-question-id]")) fieldset.disabled = false;
    delete document.body.dataset.voteState;
    form.querySelector("fieldset input")?.focus();
  }

  async function cast() {
    await loadElection();
    const { storageKey } = election;
    const stored = storageGet(storageKey);
    if (stored.voted && stored.receipt) {
      showReceipt(stored.receipt, stored.receipt_checked !== false, true);
      return;
    }
    let credential;
    try {
      credential = await credentialFor();
      if (!sealed) await seal(readChoices(form));
    } catch (error) {
      if (error instanceof ApiError && error.code === "already_issued") {
        say(messages.no_credential, "error");
        return;
      }
      throw error;
    }
    const ballot = c.signBallot(sealed, credential);
    const line = c.ballotLine(ballot);
    const ballotHash = c.ballotHash(line);
    const current = storageGet(storageKey);
    storageSet(storageKey, { ...current, pending: { ballot_hash: ballotHash, line: c.toHex(line) } });
    say(messages.sending);
    try {
      const answer = await fetchJson(urls.castUrl, {
        method: "POST",
        credentials: "omit",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: line,
      });
      finish(answer.receipt, line);
    } catch (error) {
      // Sent before (the answer was lost)? Then the earlier ballot is on the board.
      const earlier = current.pending;
      if (error instanceof ApiError && error.code === "already_voted" && earlier) {
        const receipt = await lookUp(earlier.ballot_hash);
        finish(receipt, c.fromHex(earlier.line));
        return;
      }
      if (error instanceof ApiError && error.code === "already_voted") {
        say(messages.already_voted, "error");
        return;
      }
      throw error;
    }
  }

  /** The check data of an opened ballot (docs/browser-client.md, "Checking an opened ballot"). */
  function auditDocument(opened, choices) {
    const { data, keys } = election;
    return {
      format: "stimmwerk/ballot-audit/v1",
      election_id: keys.electionId,
      ballot_hash: c.ballotHash(c.canonicalJson(opened.body)),
      ballot: opened.body,
      openings: opened.openings,
      choices,
      // Copies for an offline check (`stimmwerk check-audit`); the check page and
      // `--client-data` use the server's public copy instead.
      manifest: data.manifest,
      keys: data.keys,
    };
  }

  async function audit() {
    if (!sealed) return;
    const { keys } = election;
    // Benaloh: the ballot the member might have cast is opened; it can never be cast now.
    const opened = c.spoil(sealed);
    const choices = sealedChoices;
    sealed = null;
    const contained = c.verifyAudit(keys, opened);
    const same =
      contained !== null &&
      keys.questions.every((q) => {
        const want = [...(choices[q.id] ?? [])].sort();
        const got = [...(contained[q.id] ?? [])].sort();
        return want.length === got.length && want.every((o, i) => o === got[i]);
      });
    const target = auditResult || status;
    target.replaceChildren();
    const add = (tag, text, className) => {
      const node = document.createElement(tag);
      if (text !== undefined) node.textContent = text;
      if (className) node.className = className;
      target.append(node);
      return node;
    };
    if (!same) {
      add("p", messages.audit_failed, "error");
      castButton.disabled = true;
      document.body.dataset.voteState = "audit-failed";
      return;
    }
    add("p", messages.audit_result);
    const list = add("ul");
    list.id = "audit-choices";
    for (const q of keys.questions) {
      const item = document.createElement("li");
      const options = contained[q.id].map((o) => labelOf(q.id, o));
      item.textContent = `${questionText(q.id)}: ${options.length ? options.join(", ") : messages.abstained}`;
      list.append(item);
    }
    add("p", messages.audit_explain);
    const documentJson = `${JSON.stringify(auditDocument(opened, choices), null, 2)}\n`;
    const save = document.createElement("a");
    save.href = URL.createObjectURL(new Blob([documentJson], { type: "application/json" }));
    save.download = `stimmzettel-pruefung-${keys.electionId.slice(0, 8)}.json`;
    save.className = "button booth-button booth-secondary";
    save.id = "save-audit";
    save.textContent = messages.audit_save;
    add("p").append(save);
    const elsewhere = add("p", `${messages.audit_elsewhere} `);
    if (urls.ballotCheckUrl) {
      const link = document.createElement("a");
      link.href = urls.ballotCheckUrl;
      link.target = "_blank";
      link.rel = "noopener";
      link.id = "ballot-check-link";
      link.textContent = messages.audit_link;
      elsewhere.append(link);
    }
    const label = add("label", messages.audit_data);
    label.htmlFor = "audit-data";
    const box = add("textarea");
    box.id = "audit-data";
    box.readOnly = true;
    box.value = documentJson;
    // A fresh encryption of the same choice is what "Abstimmen" will send.
    await seal(choices);
    document.body.dataset.voteState = "audited";
    target.focus();
  }

  const run = (task) => async (event) => {
    if (event) event.preventDefault();
    if (event && event.currentTarget && event.currentTarget.disabled) return;
    busy(true);
    try {
      await task();
    } catch (error) {
      fail(error);
    } finally {
      busy(false);
      if (document.body.dataset.voteState === "review" || document.body.dataset.voteState === "audited") {
        reviewButton.disabled = false;
      }
    }
  };

  // Radios need a common name to behave as a group; there is no form, so a name
  // never makes anything submittable.
  for (const input of form.querySelectorAll("input[data-name]")) input.name = input.dataset.name;

  // Rules enforced as she ticks: never more than the maximum, and an abstention box
  // that excludes the options of its question (and the other way round).
  form.addEventListener("change", (event) => {
    const input = event.target;
    const fieldset = input && input.closest("fieldset[data-question-id]");
    if (!fieldset) return;
    const abstain = fieldset.querySelector("input[data-abstain]");
    const options = [...fieldset.querySelectorAll("input[data-name]")];
    if (input === abstain && abstain.checked) for (const option of options) option.checked = false;
    if (input !== abstain && input.checked && abstain) abstain.checked = false;
    const max = Number(fieldset.dataset.max);
    if (input.type === "checkbox" && input !== abstain && input.checked && options.filter((o) => o.checked).length > max) {
      input.checked = false;
      showProblem(fieldset, fill(messages.too_many, { number: Number(fieldset.querySelector(".question-error")?.dataset.questionNumber ?? 0) || "", max }));
      return;
    }
    const problem = questionProblem(fieldset, messages);
    // While ticking, only a rule broken is said; "nothing chosen yet" waits for "Weiter".
    if (!problem || fieldset.classList.contains("has-error")) showProblem(fieldset, problem);
  });

  reviewButton.addEventListener("click", run(toReview));
  castButton.addEventListener("click", run(cast));
  if (checkButton) checkButton.addEventListener("click", run(audit));
  if (changeButton) changeButton.addEventListener("click", (event) => {
    event.preventDefault();
    if (document.body.dataset.voteState === "receipt") return;
    backToBallot();
  });

  // Credential first, before the member fills anything in (or the receipt of a vote
  // finished earlier in this browser).
  prepare().catch(fail);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
