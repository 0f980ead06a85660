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
//   buttons #check-ballot (Benaloh audit) and #cast-ballot, <div id="vote-status">,
//   <script type="application/json" id="vote-messages"> with these keys:
//     credential, encrypting, sending, done, save_receipt, receipt_checked,
//     audit_result, audit_discarded, choose, failed, no_credential, audit_failed
//     (optional: receipt_failed; an English fallback is built in for every key).
//   When the vote is cast and its receipt shown, document.body.dataset.voteState is
//   "receipt" (it is "working" while busy and "audited" after a check).
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

function init() {
  const app = document.getElementById("vote-app");
  const form = document.getElementById("ballot-form");
  const status = document.getElementById("vote-status");
  const checkButton = document.getElementById("check-ballot");
  const castButton = document.getElementById("cast-ballot");
  if (!app || !form || !status || !castButton) return;
  const messages = readMessages();
  const urls = app.dataset;
  let election = null; // { data, keys, storageKey }

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
    if (document.body.dataset.voteState === "receipt") return; // done: stays disabled
    for (const button of [checkButton, castButton]) if (button) button.disabled = on;
    if (on) document.body.dataset.voteState = "working";
    else if (document.body.dataset.voteState === "working") delete document.body.dataset.voteState;
  };

  const labelOf = (questionId, optionId) => {
    const input = form.querySelector(`input[data-name="q-${CSS.escape(questionId)}"][value="${CSS.escape(optionId)}"]`);
    const label = input && form.querySelector(`label[for="${CSS.escape(input.id)}"]`);
    return label ? label.textContent.trim() : optionId;
  };
  const questionText = (questionId) => {
    const legend = form.querySelector(`fieldset[data-question-id="${CSS.escape(questionId)}"] legend`);
    return legend ? legend.textContent.trim() : questionId;
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

  function showReceipt(receipt, checked) {
    clear();
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
    link.className = "button";
    link.id = "save-receipt";
    link.textContent = messages.save_receipt;
    const actions = document.createElement("p");
    actions.append(link);
    status.append(actions);
    for (const input of form.querySelectorAll("input, button")) input.disabled = true;
    document.body.dataset.voteState = "receipt";
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
    for (const button of [checkButton, castButton]) if (button) button.disabled = false;
    const entry = document.getElementById("recovery-entry");
    if (entry) entry.hidden = true;
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
      showReceipt(stored.receipt, stored.receipt_checked !== false);
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

  async function cast() {
    const choices = readChoices(form);
    await loadElection();
    const { keys, storageKey } = election;
    if (!c.validChoices(keys, choices)) {
      say(messages.choose, "error");
      return;
    }
    const stored = storageGet(storageKey);
    if (stored.voted && stored.receipt) {
      showReceipt(stored.receipt, stored.receipt_checked !== false);
      return;
    }
    let credential;
    try {
      credential = await credentialFor();
    } catch (error) {
      if (error instanceof ApiError && error.code === "already_issued") {
        say(messages.no_credential, "error");
        return;
      }
      throw error;
    }
    say(messages.encrypting);
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the status paint
    const ballot = c.signBallot(c.encryptBallot(keys, credential, choices), credential);
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

  async function audit() {
    const choices = readChoices(form);
    await loadElection();
    const { keys } = election;
    if (!c.validChoices(keys, choices)) {
      say(messages.choose, "error");
      return;
    }
    say(messages.encrypting);
    await new Promise((resolve) => setTimeout(resolve, 0));
    // A throw-away credential key: the audited ballot is never cast, and auditing must
    // not need (or use up) the real credential.
    const stored = storageGet(election.storageKey);
    const credential = stored.credential
      ? c.credentialFromJson(stored.credential)
      : { publicKeyHex: c.toHex(c.publicKeyOf(c.generateSeed())), prefix: new Uint8Array(32), signature: new Uint8Array(keys.issuer.modulusLen) };
    const sealed = c.encryptBallot(keys, credential, choices);
    const contained = c.verifyAudit(keys, c.spoil(sealed));
    const hash = c.ballotHash(c.canonicalJson(sealed.body));
    const same =
      contained !== null &&
      keys.questions.every((q) => {
        const want = [...(choices[q.id] ?? [])].sort();
        const got = [...(contained[q.id] ?? [])].sort();
        return want.length === got.length && want.every((o, i) => o === got[i]);
      });
    clear();
    if (!same) {
      paragraph(messages.audit_failed, "error");
      document.body.dataset.voteState = "audit-failed";
      return;
    }
    paragraph(messages.audit_result);
    const list = document.createElement("ul");
    list.id = "audit-choices";
    for (const q of keys.questions) {
      const item = document.createElement("li");
      const options = contained[q.id].map((o) => labelOf(q.id, o));
      item.textContent = `${questionText(q.id)}: ${options.length ? options.join(", ") : "—"}`;
      list.append(item);
    }
    status.append(list);
    const code = document.createElement("code");
    code.textContent = hash;
    const p = document.createElement("p");
    p.append(code);
    status.append(p);
    paragraph(messages.audit_discarded);
    document.body.dataset.voteState = "audited";
  }

  const run = (task) => async (event) => {
    if (event) event.preventDefault();
    if (castButton.disabled) return;
    busy(true);
    try {
      await task();
    } catch (error) {
      fail(error);
    } finally {
      busy(false);
    }
  };

  // Radios need a common name to behave as a group; there is no form, so a name
  // never makes anything submittable.
  for (const input of form.querySelectorAll("input[data-name]")) input.name = input.dataset.name;
  castButton.addEventListener("click", run(cast));
  if (checkButton) checkButton.addEventListener("click", run(audit));

  // Credential first, before the member fills anything in (or the receipt of a vote
  // finished earlier in this browser).
  prepare().catch(fail);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
