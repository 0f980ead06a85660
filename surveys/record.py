"""Building the survey record (``docs/surveys/record.md``); pure, no database.

The services collect the inputs (manifest, issuer keys, counts, board lines in board
order, the final signed checkpoint) and this module turns them into the four files, so
the writer and the verifier share one definition of the format.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

from crypto.canonical import JsonValue, canonical_json
from surveys import answer_format as fmt
from surveys.definition import SurveyManifest, paper_tally, tally
from surveys.verifier import RECORD_FILES, RECORD_FORMAT


def results_from_lines(
    manifest: SurveyManifest, audiences: Sequence[str], lines: Sequence[bytes]
) -> dict[str, Any]:
    """Each audience's result, recomputed from the (already checked) answer lines."""
    parsed = [json.loads(line) for line in lines]
    return {
        audience: tally(manifest, [p["answers"] for p in parsed if p["audience"] == audience])
        for audience in audiences
    }


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
    checkpoint: str,
    paper: Mapping[str, Any] | None = None,
) -> dict[str, bytes]:
    """The record's files. ``audiences``: name → issuer_spki, eligible, credentials.

    ``paper``: the confirmed paper line (``check_paper_line`` form) or None; it goes into
    survey.json as entered and into results.json as its own line, never added to members.
    """
    issuers = {name: str(values["issuer_spki"]) for name, values in audiences.items()}
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
    }
    results = results_from_lines(manifest, list(audiences), lines)
    if paper is not None:
        survey[fmt.PAPER] = dict(paper)
        results[fmt.PAPER] = paper_tally(manifest, paper)
    return {
        "survey.json": canonical_json(survey) + b"\n",
        "answers.jsonl": b"".join(line + b"\n" for line in lines),
        "checkpoint.txt": checkpoint.encode(),
        "results.json": canonical_json(results) + b"\n",
    }


def zip_record(files: Mapping[str, bytes], folder: str) -> bytes:
    """A zip with the four files in one folder, fixed times (same record, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in RECORD_FILES:
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()
