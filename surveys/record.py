"""Building the survey record (``docs/surveys/record.md``); pure, no database.

The services collect the inputs (manifest, issuer keys, counts, classes, the frozen
list's entries, board lines in board order, every signed checkpoint in order) and this
module turns them into the five files, so the writer and the verifier share one
definition of the format (the verifier recomputes results with the same
`expected_results`).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

from crypto.canonical import JsonValue, canonical_json
from surveys import answer_format as fmt
from surveys import breakdown as bd
from surveys.definition import SurveyManifest
from surveys.verifier import RECORD_FILES, RECORD_FORMAT, expected_results


def record_files(
    *,
    survey_id: str,
    manifest: SurveyManifest,
    unit: str,
    opens_at: str,
    closes_at: str,
    audiences: Mapping[str, Mapping[str, Any]],
    origin: str,
    board_public_key: str,
    lines: Sequence[bytes],
    checkpoints: Sequence[str],
    roll: Mapping[str, Any],
    roll_commitment: str,
    paper: Mapping[str, Any] | None = None,
    breakdown: Mapping[str, Any] | None = None,
    classes: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, bytes]:
    """The record's files. ``audiences``: name → issuer_spki, eligible, credentials.

    ``classes`` (with ``breakdown``, the settings): class id → unit, unit_name, band,
    eligible, credentials, issuer_spki; the members' issuer key is then per class and
    ``audiences.members.issuer_spki`` is null. ``roll``: ``roll.json`` (record §9).
    ``checkpoints``: every signed checkpoint of the board by tree size (the empty board's
    first, the final one last), one line each in ``checkpoints.jsonl`` (record §5.1).
    ``paper``: the confirmed paper line (``check_paper_line`` form) or None; it goes into
    survey.json as entered and into results.json as its own line, never added to members.
    """
    issuers = {
        name: str(values["issuer_spki"])
        for name, values in audiences.items()
        if values["issuer_spki"] is not None
    }
    fingerprint_breakdown = None
    if classes:
        issuers.update(
            {
                fmt.credential_name(fmt.MEMBERS, cid): str(c["issuer_spki"])
                for cid, c in classes.items()
            }
        )
        fingerprint_breakdown = {
            **dict(breakdown or {}),
            "classes": {
                cid: {key: c[key] for key in ("unit", "unit_name", "band", "eligible")}
                for cid, c in classes.items()
            },
        }
    fingerprint = fmt.fingerprint(
        survey_id=survey_id,
        unit=unit,
        opens_at=opens_at,
        closes_at=closes_at,
        manifest_hash=manifest.hash_hex,
        issuers=issuers,
        eligible_members=int(audiences[fmt.MEMBERS]["eligible"]),
        origin=origin,
        board_public_key=board_public_key,
        breakdown=fingerprint_breakdown,
        roll=roll_commitment,
    )
    survey: dict[str, JsonValue] = {
        "format": RECORD_FORMAT,
        "fingerprint": fingerprint,
        "survey": survey_id,
        "unit": unit,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "manifest": manifest.document,
        "manifest_hash": manifest.hash_hex,
        "audiences": {name: dict(values) for name, values in audiences.items()},
        "board": {"origin": origin, "public_key": board_public_key},
        "roll": {"commitment": roll_commitment},
    }
    spec = None
    infos: dict[str, bd.ClassInfo] = {}
    if classes:
        survey["breakdown"] = {
            **dict(breakdown or {}),
            "classes": {cid: dict(c) for cid, c in classes.items()},
        }
        spec = bd.spec_from(dict(breakdown or {}))
        infos = {
            cid: bd.ClassInfo(c["unit"], c["band"], c["eligible"], c["unit_name"])
            for cid, c in classes.items()
        }
    if paper is not None:
        survey[fmt.PAPER] = dict(paper)
    sheets = [json.loads(line) for line in lines]
    results = expected_results(
        manifest,
        list(audiences),
        [(s["audience"], s.get(fmt.CLASS), s["answers"]) for s in sheets],
        paper=paper,
        spec=spec,
        classes=infos,
    )
    return {
        "survey.json": canonical_json(survey) + b"\n",
        "answers.jsonl": b"".join(line + b"\n" for line in lines),
        "checkpoints.jsonl": b"".join(
            canonical_json({"note": note}) + b"\n" for note in checkpoints
        ),
        "results.json": canonical_json(results) + b"\n",
        "roll.json": canonical_json(dict(roll)) + b"\n",
    }


def zip_record(files: Mapping[str, bytes], folder: str) -> bytes:
    """A zip with the five files in one folder, fixed times (same record, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in RECORD_FILES:
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()
