"""The results page's figures: counts, shares, turnout per question and bar geometry.

Pure: from the manifest and the integer results (``surveys.definition.tally`` per
audience) to what the template draws. Shares are of the people who answered the
question; turnout per question is of the respondents of the audience. Each chart is an
SVG drawn from the same rows its table lists (as the referendum results).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from surveys import definition as d
from surveys.drafting import YES_NO_LABELS

BAR_WIDTH: Final = 300
LABEL_WIDTH: Final = 170
ROW_HEIGHT: Final = 34


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    count: int
    percent: float
    bar: int
    y: int
    translate: bool = False
    extra: str = ""


@dataclass
class QuestionView:
    number: int
    id: str
    type: str
    text: str
    answered: int
    turnout_percent: float
    rows: list[Row] = field(default_factory=list)
    chart: bool = True
    value_label: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    matrix: list[dict[str, Any]] = field(default_factory=list)
    scale_values: list[int] = field(default_factory=list)

    @property
    def chart_height(self) -> int:
        return max(len(self.rows), 1) * ROW_HEIGHT + 8


@dataclass
class AudienceView:
    name: str
    respondents: int
    eligible: int | None
    questions: list[QuestionView]

    @property
    def turnout_percent(self) -> float | None:
        if not self.eligible:
            return None
        return 100.0 * self.respondents / self.eligible


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def _rows(pairs: list[tuple[str, int, bool]], whole: int) -> list[Row]:
    top = max([count for _, count, _ in pairs] + [whole, 1])
    return [
        Row(
            label=label,
            count=count,
            percent=_percent(count, whole),
            bar=round(BAR_WIDTH * count / top),
            y=index * ROW_HEIGHT,
            translate=translate,
        )
        for index, (label, count, translate) in enumerate(pairs)
    ]


def _labels(spec: dict[str, Any], key: str) -> dict[str, str]:
    return {str(item["id"]): str(item["label"]) for item in spec.get(key, [])}


def _question(
    number: int, spec: dict[str, Any], entry: dict[str, Any], respondents: int
) -> QuestionView:
    kind = spec["type"]
    answered = int(entry["answered"])
    view = QuestionView(
        number, spec["id"], kind, spec["text"], answered, _percent(answered, respondents)
    )
    # Rows in the manifest's order: the stored results are canonical JSON, whose keys are
    # sorted ("abstain" before "yes", "10" before "2").
    if kind in (d.SINGLE, d.MULTIPLE):
        labels = _labels(spec, "options")
        counts = entry["counts"]
        view.rows = _rows([(labels[o], counts[o], False) for o in labels], answered)
    elif kind == d.YES_NO:
        counts = entry["counts"]
        view.rows = _rows([(YES_NO_LABELS[o], counts[o], True) for o in d.YES_NO_VALUES], answered)
    elif kind == d.SCALE:
        ends = {spec["min"]: spec["low_label"], spec["max"]: spec["high_label"]}
        scale = range(spec["min"], spec["max"] + 1)
        pairs = [(str(v), entry["counts"][str(v)], False) for v in scale]
        view.rows = [
            Row(r.label, r.count, r.percent, r.bar, r.y, extra=str(ends.get(int(r.label), "")))
            for r in _rows(pairs, answered)
        ]
        view.facts["mean"] = entry["sum"] / answered if answered else None
    elif kind == d.RANKING:
        labels = _labels(spec, "options")
        points = entry["points"]
        total = sum(points.values())
        ranked = sorted(labels, key=lambda o: (-points[o], list(labels).index(o)))
        view.rows = [
            Row(r.label, r.count, r.percent, r.bar, r.y, extra=str(entry["positions"][o][0]))
            for r, o in zip(
                _rows([(labels[o], points[o], False) for o in ranked], total), ranked, strict=True
            )
        ]
        view.value_label = "points"
    elif kind == d.MATRIX:
        labels = _labels(spec, "statements")
        values = list(range(spec["min"], spec["max"] + 1))
        view.scale_values = values
        means: list[tuple[str, float]] = []
        for statement in labels:
            counts = entry["counts"][statement]
            rated = sum(counts.values())
            mean = sum(int(v) * c for v, c in counts.items()) / rated if rated else 0.0
            means.append((labels[statement], mean))
            view.matrix.append(
                {"label": labels[statement], "counts": [counts[str(v)] for v in values],
                 "mean": mean if rated else None}
            )  # fmt: skip
        span = max(spec["max"], 1)
        view.rows = [
            Row(label, 0, mean, round(BAR_WIDTH * mean / span), index * ROW_HEIGHT)
            for index, (label, mean) in enumerate(means)
        ]
        view.value_label = "mean"
    elif kind == d.NUMBER:
        view.chart = False
        view.facts = {
            "mean": entry["sum"] / answered if answered else None,
            "min": entry["min"],
            "max": entry["max"],
        }
    else:
        view.chart = False
    return view


def build(
    manifest: dict[str, Any], results: dict[str, Any], eligible_members: int | None
) -> list[AudienceView]:
    """One view per audience (members first, then guests if the survey asked them), then
    the confirmed paper line as its own line (never added to the members)."""
    specs = [q for section in manifest["sections"] for q in section["questions"]]
    out = []
    for name in ("members", "guests", "paper"):
        result = results.get(name)
        if result is None:
            continue
        respondents = int(result["respondents"])
        questions = [
            _question(number, spec, result["questions"][spec["id"]], respondents)
            for number, spec in enumerate(specs, 1)
        ]
        out.append(
            AudienceView(
                name, respondents, eligible_members if name == "members" else None, questions
            )
        )
    return out
