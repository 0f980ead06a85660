"""The breakdown on the results page (``templates/surveys/_breakdown.html``).

From the published breakdown (``results["breakdown"]``, rows already merged and
suppressed by `surveys.breakdown`) to one table per dimension and question: a row per
sub-unit or age band, the shares of the answers in it. Nothing here decides what may be
shown: a row or a question the rules hid is not in the data (or is marked suppressed),
so the page cannot show more than the record's published results.

The results page of the pages helper includes the template; it reaches the figures
through the template global ``survey_breakdown(survey, staff)``, which reads the stored
results (after the close) or the running tallies (live) in one short read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Final

from app.core.i18n import N_
from app.core.runtime import get_runtime
from surveys import breakdown as bd
from surveys import definition as d
from surveys import services
from surveys.models import Survey

AGE_LABELS: Final = {
    "u30": N_("under 30"),
    "30-44": N_("30 to 44"),
    "45-59": N_("45 to 59"),
    "60-74": N_("60 to 74"),
    "75+": N_("75 and older"),
    bd.UNKNOWN_AGE: N_("age not known"),
}
OTHER_LABELS: Final = {
    bd.UNIT: N_("other sub-units (merged: too few answers to show apart)"),
    bd.AGE: N_("other age bands (merged: too few answers to show apart)"),
}
DIMENSION_TITLES: Final = {bd.UNIT: N_("By sub-unit"), bd.AGE: N_("By age band")}


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    suppressed: bool = False


@dataclass
class QuestionTable:
    number: int
    id: str
    text: str
    columns: list[str]
    translate_columns: bool
    rows: list[tuple[str, bool, int, list[Cell]]] = field(default_factory=list)
    """(label, translate label, respondents, cells)"""


@dataclass
class DimensionView:
    dimension: str
    title: str
    rows: int
    tables: list[QuestionTable]


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.0f} %" if whole else "–"


def _mean(total: int, count: int) -> str:
    return f"{total / count:.1f}".replace(".", ",") if count else "–"


def _columns(spec: dict[str, Any]) -> tuple[list[str], list[str], bool]:
    """(keys, labels, translate labels) of a question's table columns."""
    kind = spec["type"]
    if kind in (d.SINGLE, d.MULTIPLE, d.RANKING):
        options = [o["id"] for o in spec["options"]]
        return options, [o["label"] for o in spec["options"]], False
    if kind == d.YES_NO:
        return list(d.YES_NO_VALUES), [N_("Yes"), N_("No"), N_("Abstain")], True
    if kind == d.MATRIX:
        return (
            [s["id"] for s in spec["statements"]],
            [s["label"] for s in spec["statements"]],
            False,
        )
    if kind in (d.SCALE, d.NUMBER):
        return ["mean"], [N_("Mean")], True
    return [], [], False


def _cells(spec: dict[str, Any], entry: dict[str, Any], keys: list[str]) -> list[Cell]:
    if entry.get("suppressed"):
        return [Cell("", suppressed=True)]
    answered = int(entry["answered"])
    kind = spec["type"]
    if kind in (d.SINGLE, d.MULTIPLE, d.YES_NO):
        return [Cell(_percent(entry["counts"][k], answered)) for k in keys]
    if kind == d.RANKING:
        return [Cell(str(entry["points"][k])) for k in keys]
    if kind == d.MATRIX:
        cells = []
        for k in keys:
            counts = entry["counts"][k]
            given = sum(counts.values())
            cells.append(Cell(_mean(sum(int(v) * n for v, n in counts.items()), given)))
        return cells
    if kind in (d.SCALE, d.NUMBER):
        return [Cell(_mean(int(entry["sum"]), answered))]
    return []


def build(manifest: dict[str, Any], published: dict[str, Any]) -> list[DimensionView]:
    """One view per dimension the survey breaks down by (empty if nothing may be shown)."""
    specs = [q for section in manifest["sections"] for q in section["questions"]]
    views = []
    for dimension in bd.DIMENSIONS:
        rows = published.get(dimension)
        if rows is None:
            continue
        tables = []
        for number, spec in enumerate(specs, 1):
            keys, labels, translate = _columns(spec)
            table = QuestionTable(number, spec["id"], spec["text"], labels, translate)
            for row in rows:
                label, translate_label = _row_label(dimension, row)
                entry = row["tally"]["questions"][spec["id"]]
                answered = "" if entry.get("suppressed") else str(entry["answered"])
                table.rows.append(
                    (
                        label,
                        translate_label,
                        int(row["tally"]["respondents"]),
                        [Cell(answered), *_cells(spec, entry, keys)],
                    )
                )
            tables.append(table)
        views.append(DimensionView(dimension, DIMENSION_TITLES[dimension], len(rows), tables))
    return views


def _row_label(dimension: str, row: dict[str, Any]) -> tuple[str, bool]:
    key = row["key"]
    if key == bd.OTHER:
        return OTHER_LABELS[dimension], True
    if dimension == bd.AGE:
        return AGE_LABELS.get(key, key), key in AGE_LABELS
    return str(row.get("name") or key), False


@dataclass(frozen=True, slots=True)
class BreakdownPage:
    threshold: int
    dimensions: list[DimensionView]


def for_template(survey: Any, staff: bool = False) -> BreakdownPage | None:
    """The breakdown to show for ``survey`` (the page's object), or None.

    One short read of the survey in the app's database (the include has no session of
    its own); the same visibility rule as the results (`services.results`).
    """
    survey_id = getattr(survey, "id", None)
    if not isinstance(survey_id, uuid.UUID):
        return None
    with get_runtime().database.session() as session:
        fresh = session.get(Survey, survey_id)
        if fresh is None or fresh.breakdown is None or fresh.classes is None:
            return None
        shown = services.results(session, fresh, staff=bool(staff))
        if shown is None or "breakdown" not in shown:
            return None
        manifest = services.manifest_of(fresh).document
        published = shown["breakdown"]
        return BreakdownPage(int(published["threshold"]), build(dict(manifest), published))
