// The public ballot-check page (/referendums/{id}/ballot-check): checks an opened
// ballot that the vote page's "Stimmzettel prüfen" produced, with the independent
// checker in ./audit/check.js (not the booth's encryption code).
//
// DOM contract (templates/referendums/ballot_check.html):
//   <div id="ballot-check-app" data-client-data-url data-election-id>
//   <input type=file id="audit-file">, <textarea id="audit-text">, <button id="audit-check">,
//   <div id="audit-outcome" role="status">, and
//   <script type="application/json" id="ballot-check-messages"> with the keys of FALLBACK.
// After a check, document.body.dataset.auditCheck is "passed" or "failed".
import { checkAudit } from "./audit/check.js";

const FALLBACK = {
  empty: "Please paste the check data or choose the file.",
  not_json: "This is not check data from the vote page (it cannot be read).",
  load_failed: "The public data of this vote could not be loaded. Please try again later.",
  passed: "Check passed.",
  passed_text: "The encrypted ballot with the identifier {hash} contains exactly this choice:",
  compare: "Compare it with what you chose. If it is the same, the device encrypted your choice correctly.",
  failed: "Check NOT passed.",
  failed_text: "This check data does not match the encrypted ballot. Do not vote with that device, and tell the election commission.",
  nothing_chosen: "no option chosen (abstention)",
  problem_not_an_audit: "The data is not check data of an opened ballot.",
  problem_election_data: "The public data of this vote is incomplete.",
  problem_other_election: "The check data belongs to another vote.",
  problem_other_manifest: "The ballot was made for other questions than those of this vote.",
  problem_hash_mismatch: "The identifier in the check data is not that of the ballot in it.",
  problem_shape: "Question {question}: the ballot does not have the form of this vote.",
  problem_opening: "Question {question}: the encryption of an option does not match the revealed numbers.",
  problem_count: "Question {question}: more or fewer options than allowed are chosen.",
  problem_choices_differ: "Question {question}: the choice listed in the check data differs from the encrypted one.",
  problem_malformed: "The check data is damaged.",
};

function messagesOf() {
  const element = document.getElementById("ballot-check-messages");
  try {
    return { ...FALLBACK, ...(element ? JSON.parse(element.textContent) : {}) };
  } catch {
    return FALLBACK;
  }
}

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));

function init() {
  const app = document.getElementById("ballot-check-app");
  const fileInput = document.getElementById("audit-file");
  const textInput = document.getElementById("audit-text");
  const button = document.getElementById("audit-check");
  const outcome = document.getElementById("audit-outcome");
  if (!app || !textInput || !button || !outcome) return;
  const messages = messagesOf();
  let clientData = null;

  const element = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  };

  async function loadClientData() {
    if (clientData) return clientData;
    const response = await fetch(app.dataset.clientDataUrl, { credentials: "omit", headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    clientData = await response.json();
    return clientData;
  }

  function labels(data) {
    const byQuestion = new Map();
    data.manifest.questions.forEach((q, index) => {
      byQuestion.set(String(q.id), { index, text: q.text, options: new Map(q.options.map((o) => [String(o.id), o.label])) });
    });
    return byQuestion;
  }

  function show(result, data) {
    outcome.replaceChildren();
    const box = element("div", undefined, result.ok ? "check-result passed" : "check-result failed");
    box.id = "audit-verdict";
    box.tabIndex = -1;
    box.append(element("h2", result.ok ? messages.passed : messages.failed));
    if (result.ok) {
      const intro = element("p");
      intro.append(...fill(messages.passed_text, { hash: "\u0000" }).split("\u0000").flatMap((part, i) => (i === 0 ? [part] : [element("code", result.ballotHash), part])));
      box.append(intro);
      const list = element("ul");
      list.id = "audit-check-choices";
      const names = labels(data);
      for (const [id, question] of names) {
        const chosen = (result.choices[id] ?? []).map((o) => question.options.get(o) ?? o);
        list.append(element("li", `${question.index + 1}. ${question.text}: ${chosen.length ? chosen.join(", ") : messages.nothing_chosen}`));
      }
      box.append(list, element("p", messages.compare));
      document.body.dataset.auditCheck = "passed";
    } else {
      box.append(element("p", messages.failed_text));
      const list = element("ul");
      list.id = "audit-check-problems";
      for (const item of result.problems) {
        list.append(element("li", fill(messages[`problem_${item.code}`] ?? messages.problem_malformed, item)));
      }
      box.append(list);
      document.body.dataset.auditCheck = "failed";
    }
    outcome.append(box);
    box.focus();
  }

  const say = (text) => {
    outcome.replaceChildren(element("p", text, "error"));
    delete document.body.dataset.auditCheck;
  };

  if (fileInput) {
    fileInput.addEventListener("change", async () => {
      const file = fileInput.files && fileInput.files[0];
      if (file) textInput.value = await file.text();
    });
  }

  button.disabled = false;
  button.addEventListener("click", async () => {
    const text = textInput.value.trim();
    if (!text) {
      say(messages.empty);
      return;
    }
    let audit;
    try {
      audit = JSON.parse(text);
    } catch {
      say(messages.not_json);
      return;
    }
    let data;
    try {
      data = await loadClientData();
    } catch {
      say(messages.load_failed);
      return;
    }
    show(checkAudit(audit, data), data);
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
