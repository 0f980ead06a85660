"""Exports of a closed survey: aggregates and the anonymous answers, CSV and XLSX.

Pure: from the manifest, the published results and the answer lines in board order
(the published, shuffled order; never the arrival order). One row per answer carries
only the audience and the answers: nothing else exists to export.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from openpyxl import Workbook

from surveys.definition import MATRIX, MULTIPLE, RANKING, SurveyManifest

AGGREGATE_HEADER = ("audience", "question", "type", "item", "detail", "count")
BREAKDOWN = "breakdown"


def aggregate_rows(
    manifest: SurveyManifest, results: Mapping[str, Any]
) -> Iterator[tuple[Any, ...]]:
    """One row per counted cell: audience, question, type, option/statement, value, n.

    The breakdown's rows (record §8.3) follow as audience ``members [unit: CODE]`` /
    ``members [age: BAND]``; a suppressed question gives no figures, only
    ``suppressed``.
    """
    for audience, tally in results.items():
        if audience == BREAKDOWN:
            continue
        yield from _tally_rows(manifest, audience, tally)
    for dimension, rows in results.get(BREAKDOWN, {}).items():
        if not isinstance(rows, list):
            continue  # the threshold
        for row in rows:
            yield from _tally_rows(manifest, f"members [{dimension}: {row['key']}]", row["tally"])


def _tally_rows(
    manifest: SurveyManifest, audience: str, tally: Mapping[str, Any]
) -> Iterator[tuple[Any, ...]]:
    yield (audience, "", "respondents", "", "", tally["respondents"])
    for question in manifest.questions:
        entry = tally["questions"][question.id]
        if entry.get("suppressed"):
            yield (audience, question.id, question.type, "", "suppressed", "")
            continue
        yield (audience, question.id, question.type, "", "answered", entry["answered"])
        yield from _cells(audience, question.id, question.type, entry)


def _cells(
    audience: str, qid: str, kind: str, entry: Mapping[str, Any]
) -> Iterator[tuple[Any, ...]]:
    counts = entry.get("counts", {})
    for item, value in counts.items():
        if isinstance(value, Mapping):  # matrix: statement → rating → n
            for rating, n in value.items():
                yield (audience, qid, kind, item, rating, n)
        else:
            yield (audience, qid, kind, item, "", value)
    for option, places in entry.get("positions", {}).items():
        for place, n in enumerate(places, start=1):
            yield (audience, qid, kind, option, f"place {place}", n)
    for option, points in entry.get("points", {}).items():
        yield (audience, qid, kind, option, "points", points)
    for key in ("sum", "min", "max"):
        if key in entry:
            yield (audience, qid, kind, "", key, entry[key])


def answer_header(manifest: SurveyManifest) -> list[str]:
    header = ["audience"]
    for question in manifest.questions:
        if question.type == MATRIX:
            header.extend(f"{question.id}.{s}" for s in question.statement_ids)
        else:
            header.append(question.id)
    return header


def answer_rows(manifest: SurveyManifest, lines: Sequence[bytes]) -> Iterator[list[Any]]:
    """One row per answer in board order; lists joined by ``;`` (ranking: best first)."""
    for raw in lines:
        line = json.loads(raw)
        answers = line["answers"]
        row: list[Any] = [line["audience"]]
        for question in manifest.questions:
            value = answers.get(question.id)
            if question.type == MATRIX:
                row.extend("" if value is None else value[s] for s in question.statement_ids)
            elif question.type in (MULTIPLE, RANKING):
                row.append("" if value is None else ";".join(value))
            else:
                row.append("" if value is None else value)
        yield row


def to_csv(header: Sequence[Any], rows: Iterator[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([_text_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes spreadsheet apps read UTF-8


def to_xlsx(manifest: SurveyManifest, results: Mapping[str, Any], lines: Sequence[bytes]) -> bytes:
    """A workbook with the sheets "Ergebnisse" (aggregates) and "Antworten" (one row each)."""
    book = Workbook(write_only=True)
    aggregates = book.create_sheet("Ergebnisse")
    aggregates.append(list(AGGREGATE_HEADER))
    for row in aggregate_rows(manifest, results):
        aggregates.append(list(row))
    answers = book.create_sheet("Antworten")
    answers.append(answer_header(manifest))
    for answer in answer_rows(manifest, lines):
        answers.append([_text_cell(v) for v in answer])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text_cell(value: Any) -> Any:
    """Text starting with ``=``, ``+``, ``-`` or ``@`` is prefixed with ``'``: a member's
    free text never becomes a spreadsheet formula (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@"}:
        return "'" + value  # a member's text never becomes a formula
    return value
