"""The survey record verifier (``docs/surveys/record.md`` §5), free of the engine.

Imports only the record format (``surveys.definition``, ``surveys.answer_format``), the
election verifier's checkpoint tracker (``ballots.verifier``, the board's history, §5.1)
and ``crypto``: no database, no web app, no survey services (an import-linter contract
keeps it so), so an auditor runs it on a downloaded record alone. Each check has a name; the
first failure of a check names the answer (board index) it is about.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import UnsupportedAlgorithm

from ballots.rolls import roll_commitment
from ballots.verifier import CheckpointTracker
from crypto.blind_rsa import BlindRsaPublicKey
from crypto.blind_rsa import verify as verify_blind
from crypto.canonical import CanonicalError, canonical_json
from crypto.checkpoints import NoteVerifier
from crypto.merkle import RootAccumulator
from crypto.signing import Ed25519PublicKey, SigningError, verify
from surveys import answer_format as fmt
from surveys import breakdown as bd
from surveys.canonical_fast import canonical, is_canonical
from surveys.definition import (
    AnswerRefused,
    DefinitionError,
    PaperLineRefused,
    SurveyManifest,
    check_answers,
    check_paper_line,
    paper_tally,
    read_definition,
    tally,
)

RECORD_FORMAT: Final = "stimmwerk-survey-record/3"
RECORD_FILES: Final = (
    "survey.json",
    "answers.jsonl",
    "checkpoints.jsonl",
    "results.json",
    "roll.json",
)
_HEX64 = frozenset("0123456789abcdef")
Sheet = tuple[str, str | None, Any]
"""One checked answer: (audience, class id or None, answers)."""


def expected_results(
    manifest: SurveyManifest,
    audiences: Sequence[str],
    sheets: Sequence[Sheet],
    *,
    paper: Mapping[str, Any] | None = None,
    spec: bd.Spec | None = None,
    classes: Mapping[str, bd.ClassInfo] | None = None,
) -> dict[str, Any]:
    """results.json as it must be (record §4, §6.3, §8.3): one tally per audience from
    its answers only, the paper line apart, and the breakdown rows that may be shown."""
    out: dict[str, Any] = {
        audience: tally(manifest, [answers for a, _, answers in sheets if a == audience])
        for audience in audiences
    }
    if spec is not None and classes:
        per_class = {
            cid: tally(
                manifest,
                [answers for a, c, answers in sheets if a == fmt.MEMBERS and c == cid],
            )
            for cid in classes
        }
        out["breakdown"] = bd.breakdown(manifest, spec, classes, per_class)
    if paper is not None:
        out[fmt.PAPER] = paper_tally(manifest, paper)
    return out


MAX_FILE: Final = 2 * 1024**3


class RecordUnreadable(ValueError):
    """The path is neither a survey record directory nor an unambiguous zip of one."""


@dataclass
class Report:
    """Named checks in order; ``failures`` holds (check, message) of those that failed."""

    passed: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, check: str, message: str) -> None:
        self.failures.append((check, message))

    def check(self, name: str, condition: bool, message: str) -> bool:
        if condition:
            self.passed.append(name)
        else:
            self.fail(name, message)
        return condition


def read_record(path: str | Path) -> dict[str, bytes]:
    """The record's four files from a directory or a zip; any ambiguity is refused.

    A zip must hold exactly the four names, each once, at the top or all in one folder
    (two copies of a name could show an auditor one result and the verifier another).
    """
    source = Path(path)
    if source.is_dir():
        present = sorted(p.name for p in source.iterdir())
        if present != sorted(RECORD_FILES):
            raise RecordUnreadable(f"a survey record holds exactly {', '.join(RECORD_FILES)}")
        return {name: (source / name).read_bytes() for name in RECORD_FILES}
    try:
        archive = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as error:
        raise RecordUnreadable(f"not a directory or zip: {error}") from error
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        names = [i.filename for i in infos]
        doubles = [n for n, c in Counter(names).items() if c > 1]
        if doubles:
            raise RecordUnreadable(f"the zip holds {doubles[0]} twice")
        folders = {n.rpartition("/")[0] for n in names}
        bases = sorted(n.rpartition("/")[2] for n in names)
        if len(folders) != 1 or bases != sorted(RECORD_FILES) or ".." in "".join(folders):
            raise RecordUnreadable(
                f"the zip must hold exactly {', '.join(RECORD_FILES)}, in one folder"
            )
        out: dict[str, bytes] = {}
        for info in infos:
            if info.file_size > MAX_FILE:
                raise RecordUnreadable(f"{info.filename} is too large")
            out[info.filename.rpartition("/")[2]] = archive.read(info)
        return out


def _json(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{what} is not JSON: {error}") from error


def verify_record(files: Mapping[str, bytes]) -> Report:
    """Run every check of ``docs/surveys/record.md`` §5 on the record's files."""
    report = Report()
    try:
        results = _json(files["results.json"], "results.json")
    except (KeyError, ValueError) as error:
        report.fail("record.files", str(error))
        return report
    setup = read_setup(files, report)
    if setup is None:
        return report
    survey = json.loads(files["survey.json"])
    lines = answer_lines(files)
    _roll(setup, files.get("roll.json", b""), report)
    _board(setup, files["checkpoints.jsonl"], lines, report)
    sheets = _answers(setup, lines, report)
    if sheets is None:
        return report
    _counts(setup, sheets, report)
    paper = _paper(setup, survey, sheets, report)
    _results(setup, sheets, results, report, paper)
    return report


def read_setup(files: Mapping[str, bytes], report: Report) -> _Setup | None:
    """survey.json checked (``survey.*``, record §5); None after a failure."""
    try:
        survey = _json(files["survey.json"], "survey.json")
    except (KeyError, ValueError) as error:
        report.fail("record.files", str(error))
        return None
    try:
        canonical = canonical_json(survey) + b"\n" == files["survey.json"]
    except CanonicalError:
        canonical = False
    if not report.check("survey.canonical", canonical, "survey.json is not canonical JSON"):
        return None
    return _setup(survey, report)


def answer_lines(files: Mapping[str, bytes]) -> list[bytes]:
    """answers.jsonl's lines without their newlines (board order)."""
    lines = files.get("answers.jsonl", b"").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


@dataclass(frozen=True)
class _Setup:
    survey_id: str
    manifest: SurveyManifest
    fingerprint: str
    issuers: Mapping[str, BlindRsaPublicKey]
    """by credential name: ``members`` or ``members/<class>``, ``guests``"""
    eligible: Mapping[str, int | None]
    credentials: Mapping[str, int]
    origin: str
    board_key: Ed25519PublicKey
    roll_commitment: str
    spec: bd.Spec | None = None
    classes: Mapping[str, bd.ClassInfo] = field(default_factory=dict)
    class_credentials: Mapping[str, int] = field(default_factory=dict)


def _setup(survey: Any, report: Report) -> _Setup | None:
    if not report.check(
        "survey.format",
        isinstance(survey, dict) and survey.get("format") == RECORD_FORMAT,
        f"survey.json is not {RECORD_FORMAT}",
    ):
        return None
    try:
        manifest = read_definition(survey["manifest"])
        canonical = canonical_json(manifest.document) == canonical_json(survey["manifest"])
    except (KeyError, DefinitionError, CanonicalError) as error:
        report.fail("survey.manifest", f"manifest refused: {error}")
        return None
    if not report.check("survey.manifest", canonical, "the manifest is not in canonical form"):
        return None
    if not report.check(
        "survey.manifest_hash",
        survey.get("manifest_hash") == manifest.hash_hex,
        "manifest_hash does not match the manifest",
    ):
        return None
    try:
        setup = _keys(survey, manifest)
    except (KeyError, TypeError, ValueError, SigningError, UnsupportedAlgorithm) as error:
        report.fail("survey.keys", f"survey.json keys or audiences: {error}")
        return None
    report.passed.append("survey.keys")
    return setup


def _refuse(message: str) -> None:
    raise ValueError(message)


def _classes(
    survey: Mapping[str, Any], eligible_members: object
) -> tuple[bd.Spec | None, dict[str, Any], dict[str, bd.ClassInfo]]:
    """The breakdown settings and classes (record §8.1); ValueError if a rule is broken."""
    raw = survey.get("breakdown")
    if raw is None:
        return None, {}, {}
    spec = bd.spec_from({key: raw[key] for key in ("by", "threshold")})
    if set(raw) != {"by", "threshold", "classes"} or not spec.active:
        _refuse("breakdown holds by (not empty), threshold and classes")
    classes = raw["classes"]
    if not isinstance(classes, dict) or not 1 <= len(classes) <= bd.MAX_CLASSES:
        _refuse(f"a breakdown has 1 to {bd.MAX_CLASSES} classes")
    infos: dict[str, bd.ClassInfo] = {}
    labels = set()
    for cid, c in classes.items():
        keys = {"unit", "unit_name", "band", "eligible", "credentials", "issuer_spki"}
        if not isinstance(c, dict) or set(c) != keys or not isinstance(c["eligible"], int):
            _refuse(f"class {cid}: fields are {', '.join(sorted(keys))}")
        infos[cid] = bd.ClassInfo(
            str(c["unit"]), str(c["band"]), c["eligible"], str(c["unit_name"])
        )
        labels.add((c["unit"], c["band"]))
        if len(classes) > 1 and c["eligible"] < spec.threshold:
            _refuse(f"class {cid} has {c['eligible']} eligible members, below the threshold")
        if (bd.AGE not in spec.by and c["band"] != bd.ALL) or (
            bd.UNIT not in spec.by and c["unit"] != bd.ALL
        ):
            _refuse(f"class {cid} is labelled by a dimension the survey does not use")
    if len(labels) != len(classes):
        _refuse("two classes have the same label")
    if sum(i.eligible for i in infos.values()) != eligible_members:
        _refuse("the classes' eligible members do not add up to the eligible members")
    return spec, classes, infos


def _keys(survey: Mapping[str, Any], manifest: SurveyManifest) -> _Setup:
    """Issuer keys, board key, counts, classes and fingerprint; ValueError if wrong."""
    audiences = survey["audiences"]
    if not set(audiences) <= set(fmt.AUDIENCES) or fmt.MEMBERS not in audiences:
        _refuse("audiences must be members and optionally guests")
    eligible = {name: a["eligible"] for name, a in audiences.items()}
    credentials = {name: a["credentials"] for name, a in audiences.items()}
    spec, classes, infos = _classes(survey, eligible[fmt.MEMBERS])
    spkis = {name: a["issuer_spki"] for name, a in audiences.items()}
    if classes:
        if spkis.pop(fmt.MEMBERS) is not None:
            _refuse("with classes, the members' keys are the classes' keys")
        spkis.update(
            {fmt.credential_name(fmt.MEMBERS, cid): c["issuer_spki"] for cid, c in classes.items()}
        )
    issuers = {name: BlindRsaPublicKey.from_der(bytes.fromhex(s)) for name, s in spkis.items()}
    if len({k.n for k in issuers.values()}) != len(issuers):
        _refuse("each audience and class needs its own issuer key")
    board = survey["board"]
    commitment = survey["roll"]["commitment"]
    fingerprint = fmt.fingerprint(
        survey_id=survey["survey"],
        unit=survey["unit"],
        opens_at=survey["opens_at"],
        closes_at=survey["closes_at"],
        manifest_hash=manifest.hash_hex,
        issuers=spkis,
        eligible_members=eligible[fmt.MEMBERS],
        origin=board["origin"],
        board_public_key=board["public_key"],
        breakdown=None
        if spec is None
        else {
            **spec.as_json(),
            "classes": {
                cid: {key: c[key] for key in ("unit", "unit_name", "band", "eligible")}
                for cid, c in classes.items()
            },
        },
        roll=commitment,
    )
    if survey.get("fingerprint") != fingerprint:
        _refuse("fingerprint does not match the survey's settings")
    if not survey["opens_at"] < survey["closes_at"]:
        _refuse("the survey closes before it opens")
    return _Setup(
        survey_id=str(survey["survey"]),
        manifest=manifest,
        fingerprint=fingerprint,
        issuers=issuers,
        eligible=eligible,
        credentials=credentials,
        origin=str(board["origin"]),
        board_key=Ed25519PublicKey.from_hex(board["public_key"]),
        roll_commitment=str(commitment),
        spec=spec,
        classes=infos,
        class_credentials={cid: c["credentials"] for cid, c in classes.items()},
    )


def _roll(setup: _Setup, raw: bytes, report: Report) -> None:
    """Record §9: the frozen list per class, its commitment, and who got credentials."""
    try:
        document = json.loads(raw.decode("utf-8"))
        canonical = canonical_json(document) + b"\n" == raw
    except (UnicodeDecodeError, json.JSONDecodeError, CanonicalError):
        report.fail("roll.format", "roll.json is not canonical JSON")
        return
    groups = list(setup.classes) or [fmt.MEMBERS]
    shape = (
        canonical
        and isinstance(document, dict)
        and document.get("format") == fmt.ROLL_FORMAT
        and set(document) == {"format", "entries", "issued"}
        and all(
            isinstance(document[part], dict) and sorted(document[part]) == sorted(groups)
            for part in ("entries", "issued")
        )
        and all(
            _entry_list(values)
            for part in ("entries", "issued")
            for values in document[part].values()
        )
    )
    if not report.check("roll.format", bool(shape), "roll.json: entries and issued per class"):
        return
    entries, issued = document["entries"], document["issued"]
    everything = sorted(e for values in entries.values() for e in values)
    report.check(
        "roll.commitment",
        len(set(everything)) == len(everything)
        and roll_commitment(everything) == setup.roll_commitment,
        "the frozen list's entries do not give the committed root",
    )
    eligible = (
        {cid: info.eligible for cid, info in setup.classes.items()}
        if setup.classes
        else {fmt.MEMBERS: setup.eligible[fmt.MEMBERS]}
    )
    credentials = (
        dict(setup.class_credentials)
        if setup.classes
        else {fmt.MEMBERS: setup.credentials[fmt.MEMBERS]}
    )
    for group in groups:
        report.check(
            f"roll.{group}.eligible",
            len(entries[group]) == eligible[group],
            f"{len(entries[group])} entries in {group} but {eligible[group]} eligible",
        )
        report.check(
            f"roll.{group}.issued",
            set(issued[group]) <= set(entries[group]) and len(issued[group]) == credentials[group],
            f"{len(issued[group])} issued entries in {group} (not all on its list?) "
            f"but {credentials[group]} credentials",
        )


def _entry_list(values: object) -> bool:
    return (
        isinstance(values, list)
        and all(isinstance(v, str) and len(v) == 64 and set(v) <= _HEX64 for v in values)  # noqa: PLR2004
        and values == sorted(values)
        and len(set(values)) == len(values)
    )


BOARD_CHECKS: Final = (
    "board.checkpoint_signatures",
    "board.checkpoint_consistency",
    "board.final_root",
)


def _board(setup: _Setup, raw: bytes, lines: list[bytes], report: Report) -> None:
    """Record §5.1, with the election verifier's checkpoint tracker: every checkpoint is
    signed, sizes grow, each root is the Merkle root of that many answers (so each is an
    append-only prefix of the next and of the final board), the last covers them all."""
    if raw and not raw.endswith(b"\n"):
        report.fail(
            "board.checkpoint_signatures", "checkpoints.jsonl: the last line has no newline"
        )
        return
    verifier = board_verifier(setup.origin, setup.board_key)
    numbered = enumerate(raw.split(b"\n")[:-1], start=1)  # raw ends in "\n" (or is empty)
    tracker = CheckpointTracker(numbered, verifier, setup.origin)
    leaves = RootAccumulator()
    tracker.advance(leaves)
    for line in lines:
        leaves.append(fmt.answer_leaf(line))
        tracker.advance(leaves)
    tracker.finish(leaves)
    failure = tracker.failure
    for name in BOARD_CHECKS:
        if failure is not None and failure.check == name:
            report.fail(name, str(failure.failure))
            return
        report.passed.append(name)


def board_verifier(origin: str, key: Ed25519PublicKey) -> NoteVerifier:
    """The board's note key: name = origin (record §5.1)."""
    return NoteVerifier(origin, key)


def _answers(
    setup: _Setup, lines: list[bytes], report: Report, workers: int | None = None
) -> list[Sheet] | None:
    """Check every answer line; the checked answers with audience and class, or None.

    The checks of one line need nothing from the others except "one answer per
    credential", so large records are checked in chunks by ``workers`` processes (all
    cores by default: 100,000 answers are about two minutes of signatures on one core)
    and the credential keys compared here, in board order, as before.
    """
    seen: set[str] = set()
    sheets: list[Sheet] = []
    for index, outcome in enumerate(_checked_lines(setup, lines, workers)):
        problem, check = _problem(outcome, seen)
        if problem is not None or outcome[4] is None:
            report.fail(check, f"answer {index}: {problem}")
            return None
        seen.add(outcome[2])
        sheets.append(outcome[4])
    report.passed.extend(["answers.format", "answers.credential", "answers.signature"])
    report.passed.extend(["answers.one_per_credential", "answers.rules"])
    return sheets


def _problem(outcome: _Checked, seen: set[str]) -> tuple[str | None, str]:
    """The line's problem in the order of the checks: format, credential, signature,
    rules, then one answer per credential, then canonical answers."""
    problem, check, key, answers_canonical, _ = outcome
    if problem is not None:
        return problem, check
    if key in seen:
        return "second answer with one credential", "answers.one_per_credential"
    if not answers_canonical:
        return "answers not in canonical form", "answers.rules"
    return None, ""


PARALLEL_FROM: Final = 4000
"""Fewer answers are checked in this process: starting workers would cost more."""
CHUNK: Final = 2000

_Checked = tuple[str | None, str, str, bool, Sheet | None]
"""(problem, check, credential key, answers canonical, sheet) of one line."""
_WORKER_SETUP: list[_Setup] = []


def _checked_lines(setup: _Setup, lines: list[bytes], workers: int | None) -> Iterator[_Checked]:
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count <= 1 or len(lines) < PARALLEL_FROM:
        yield from (_check_line(setup, raw) for raw in lines)
        return
    chunks = [lines[i : i + CHUNK] for i in range(0, len(lines), CHUNK)]
    # spawn, not fork (as the ballot verifier): the verifier may run in a threaded host.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        count, mp_context=context, initializer=_init_worker, initargs=(setup,)
    ) as pool:
        for outcomes in pool.map(_check_chunk, chunks):
            yield from outcomes


def _init_worker(setup: _Setup) -> None:
    _WORKER_SETUP[:] = [setup]


def _check_chunk(lines: list[bytes]) -> list[_Checked]:
    return [_check_line(_WORKER_SETUP[0], raw) for raw in lines]


class _Bad(Exception):
    """One answer line broke the check named ``check``."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message


def _check_line(setup: _Setup, raw: bytes) -> _Checked:
    """Everything about one line except whether its credential answered before."""
    try:
        line = _parsed_line(setup, raw)
        key = _credential_key(setup, line)
        canonical = check_answers(setup.manifest, line["answers"])
    except AnswerRefused as refused:
        return f"question {refused.question}: {refused.message}", "answers.rules", "", False, None
    except _Bad as bad:
        return bad.message, bad.check, "", False, None
    sheet = (line["audience"], line.get(fmt.CLASS), line["answers"])
    return None, "", key, canonical == line["answers"], sheet


def _parsed_line(setup: _Setup, raw: bytes) -> dict[str, Any]:
    keys = sorted(fmt.LINE_KEYS)
    try:
        line = json.loads(raw.decode("utf-8"))
        if setup.classes and isinstance(line, dict) and line.get("audience") == fmt.MEMBERS:
            keys = sorted(fmt.CLASSED_LINE_KEYS)  # a member's line names its class
        exact = isinstance(line, dict) and sorted(line) == keys
        if exact and not is_canonical(line, raw):
            raise _Bad("answers.format", "not canonical JSON")
    except (UnicodeDecodeError, json.JSONDecodeError, CanonicalError) as error:
        raise _Bad("answers.format", "not canonical JSON") from error
    if not exact:
        raise _Bad("answers.format", "fields are not exactly " + ", ".join(fmt.LINE_KEYS))
    if line["survey"] != setup.survey_id or line["fingerprint"] != setup.fingerprint:
        raise _Bad("answers.format", "belongs to another survey (fingerprint differs)")
    credential = line["credential"]
    if not isinstance(credential, dict) or sorted(credential) != sorted(fmt.CREDENTIAL_KEYS):
        raise _Bad("answers.format", "credential fields wrong")
    return line  # type: ignore[no-any-return]


def _credential_key(setup: _Setup, line: Mapping[str, Any]) -> str:
    """Check the issuer's and the credential key's signatures; the key as hex."""
    audience, class_id = line["audience"], line.get(fmt.CLASS)
    named = isinstance(audience, str) and isinstance(class_id, str | None)
    name = fmt.line_name(line) if named else ""
    issuer = setup.issuers.get(name)
    if issuer is None:
        raise _Bad("answers.format", "unknown audience or class")
    credential = line["credential"]
    try:
        key = Ed25519PublicKey.from_hex(credential["public_key"])
        prefix = bytes.fromhex(credential["prefix"])
        issuer_sig = bytes.fromhex(credential["signature"])
        signature = bytes.fromhex(line["signature"])
    except (TypeError, ValueError, SigningError) as error:
        raise _Bad("answers.format", "credential or signature not hex") from error
    message = fmt.credential_message(setup.survey_id, name, key.hex())
    if not verify_blind(issuer, prefix + message, issuer_sig):
        raise _Bad("answers.credential", "credential not signed by its audience's (class's) issuer")
    if not verify(key, fmt.ANSWER_LABEL, _signed_payload(line), signature):
        raise _Bad("answers.signature", "answer signature invalid")
    return key.hex()


def _signed_payload(line: Mapping[str, Any]) -> bytes:
    """``answer_format.signed_payload`` through the fast canonical JSON (same bytes)."""
    keys = (*fmt.BODY_KEYS, fmt.CLASS) if fmt.CLASS in line else fmt.BODY_KEYS
    return canonical({key: line[key] for key in keys})


def _counts(setup: _Setup, sheets: list[Sheet], report: Report) -> None:
    answered = Counter(audience for audience, _, _ in sheets)
    for audience, credentials in setup.credentials.items():
        eligible = setup.eligible[audience]
        good = isinstance(credentials, int) and answered[audience] <= credentials
        report.check(
            f"counts.{audience}.answers",
            good,
            f"{answered[audience]} {audience} answers but {credentials} credentials",
        )
        if eligible is not None:
            report.check(
                f"counts.{audience}.credentials",
                isinstance(eligible, int) and good and credentials <= eligible,
                f"{credentials} {audience} credentials but {eligible} eligible",
            )
    per_class = Counter(class_id for audience, class_id, _ in sheets if audience == fmt.MEMBERS)
    for cid, info in setup.classes.items():
        issued = setup.class_credentials[cid]
        report.check(
            f"counts.class.{cid}",
            isinstance(issued, int) and per_class[cid] <= issued <= info.eligible,
            f"class {cid}: {per_class[cid]} answers, {issued} credentials, "
            f"{info.eligible} eligible (answers ≤ credentials ≤ eligible)",
        )
    if setup.classes:
        report.check(
            "counts.classes.credentials",
            sum(setup.class_credentials.values()) == setup.credentials[fmt.MEMBERS],
            "the classes' credentials do not add up to the members' credentials",
        )


def _paper(
    setup: _Setup, survey: Mapping[str, Any], sheets: list[Sheet], report: Report
) -> dict[str, Any] | None:
    """Record §6.2: the paper line's arithmetic; None if the record has no paper line.

    The figures themselves rest on the two staff members who counted (as postal votes);
    what a reader can check is that they are possible: each rule of ``check_paper_line``,
    and online member answers plus paper questionnaires ≤ eligible members.
    """
    if fmt.PAPER not in survey:
        return None
    try:
        line = check_paper_line(setup.manifest, survey[fmt.PAPER])
    except PaperLineRefused as refused:
        report.fail("paper.rules", f"the paper line breaks a rule: {refused}")
        return {}
    if not report.check(
        "paper.canonical", line == survey[fmt.PAPER], "the paper line is not in canonical form"
    ):
        return {}
    online = sum(1 for audience, _, _ in sheets if audience == fmt.MEMBERS)
    eligible = setup.eligible[fmt.MEMBERS]
    report.check(
        "paper.eligible",
        isinstance(eligible, int) and online + line["questionnaires"] <= eligible,
        f"{online} online and {line['questionnaires']} paper answers but {eligible} eligible",
    )
    return line


def _results(
    setup: _Setup,
    sheets: list[Sheet],
    published: Any,
    report: Report,
    paper: dict[str, Any] | None = None,
) -> None:
    expected = expected_results(
        setup.manifest,
        list(setup.credentials),
        sheets,
        paper=paper or None,
        spec=setup.spec,
        classes=setup.classes,
    )
    if paper == {}:
        expected[fmt.PAPER] = {}
    if not isinstance(published, dict) or set(published) != set(expected):
        report.fail(
            "results.recomputed",
            "results.json must hold one result per audience (and the paper line if any)",
        )
        return
    for audience, result in expected.items():
        if audience == fmt.PAPER and not result:
            continue  # the paper line itself failed above
        report.check(
            f"results.{audience}",
            published[audience] == result,
            _RESULT_MESSAGES.get(
                audience, f"the published {audience} result is not the sum of the answers"
            ),
        )


_RESULT_MESSAGES: Final = {
    fmt.PAPER: "the published paper result is not the paper line of survey.json",
    "breakdown": "the published breakdown is not the one recomputed from the answers "
    "with the threshold and classes of survey.json",
}
