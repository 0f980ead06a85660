"""Breakdowns by sub-unit and age band without unmasking anyone (issue 12, point 5); pure.

Shared by the server (classes when a survey opens, rows for the results page) and the
verifier (which recomputes the published rows), so both apply the same rules. The
argument for them is in ``docs/surveys/privacy.md``; the format in
``docs/surveys/record.md`` §8.

Two steps, each with the survey's threshold ``k`` (default 10, never below 5):

1. **Classes, before any credential is issued** (`form_classes`). A class is a set of
   members who get credentials from one issuer key, so every answer shows its class.
   A class with few eligible members would unmask them (sub-unit × age band can be one
   person), so cells with fewer than ``k`` eligible members are merged into "other"
   ("übrige") cells until every class has at least ``k`` eligible members. Only the
   class (never the member) travels with the anonymous credential.
2. **Rows, when results are shown** (`breakdown`). Per dimension, a row (a sub-unit or
   an age band) is shown only with at least ``k`` answers; smaller rows are merged into
   "other", and if "other" itself ends below ``k`` the next smallest row joins it (so no
   hidden row can be computed as the total minus the shown rows). Within a shown row,
   a question answered by fewer than ``k`` is suppressed the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from surveys.definition import SurveyManifest, merge_tallies

UNIT: Final = "unit"
AGE: Final = "age"
DIMENSIONS: Final = (UNIT, AGE)
OTHER: Final = "other"
"""A merged cell: "übrige" (the members whose own cell was too small)."""
ALL: Final = "all"
"""The label of a dimension the survey does not break down by."""
UNKNOWN_AGE: Final = "unknown"
AGE_BANDS: Final = (
    ("u30", None, 29),
    ("30-44", 30, 44),
    ("45-59", 45, 59),
    ("60-74", 60, 74),
    ("75+", 75, None),
)
"""Age bands (years of age in the year the survey opens); no birth year: ``unknown``."""
AGE_KEYS: Final = (*(key for key, _, _ in AGE_BANDS), UNKNOWN_AGE)
DEFAULT_THRESHOLD: Final = 10
MIN_THRESHOLD: Final = 5
MAX_THRESHOLD: Final = 1000
MAX_CLASSES: Final = 64
"""One RSA issuer key per class is generated when the survey opens (~0.3 s each at
3,072 bits here): more classes would make opening too slow."""

Cell = tuple[str, str]
"""(unit key, age band key); ``ALL`` for a dimension not used, ``OTHER`` once merged."""


class BreakdownError(ValueError):
    """Breakdown settings or classes that break a rule."""


@dataclass(frozen=True, slots=True)
class Spec:
    """What a survey breaks down by, and its threshold ``k``."""

    by: tuple[str, ...] = ()
    threshold: int = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if any(d not in DIMENSIONS for d in self.by) or len(set(self.by)) != len(self.by):
            raise BreakdownError("a breakdown is by unit, by age, or both")
        if tuple(sorted(self.by, key=DIMENSIONS.index)) != self.by:
            raise BreakdownError("dimensions in the order unit, age")
        if type(self.threshold) is not int or not (
            MIN_THRESHOLD <= self.threshold <= MAX_THRESHOLD
        ):
            raise BreakdownError(f"the threshold is a whole number from {MIN_THRESHOLD}")

    @property
    def active(self) -> bool:
        return bool(self.by)

    def as_json(self) -> dict[str, Any]:
        return {"by": list(self.by), "threshold": self.threshold}


def spec_from(raw: object) -> Spec:
    """A `Spec` from its JSON form (``{"by": [...], "threshold": k}``); BreakdownError."""
    if not isinstance(raw, Mapping) or set(raw) != {"by", "threshold"}:
        raise BreakdownError("breakdown holds exactly by and threshold")
    by = raw["by"]
    if not isinstance(by, list) or not all(isinstance(d, str) for d in by):
        raise BreakdownError("by is a list of dimensions")
    return Spec(tuple(by), raw["threshold"])


def age_band(birth_year: int | None, year: int) -> str:
    """The age band of someone born in ``birth_year``, in ``year``."""
    if birth_year is None or birth_year > year:
        return UNKNOWN_AGE
    age = year - birth_year
    for key, low, high in AGE_BANDS:
        if (low is None or age >= low) and (high is None or age <= high):
            return key
    return UNKNOWN_AGE  # pragma: no cover - the bands cover every age


# --- 1. classes, before issuance ------------------------------------------------------


def form_classes(cells: Mapping[Cell, int], spec: Spec) -> dict[Cell, Cell]:
    """Which class label each (non-empty) cell goes into; every class ≥ ``k`` eligible.

    ``cells`` counts the eligible members per (unit key, age band key), with ``ALL`` for
    an unused dimension. Within a sub-unit, age bands below ``k`` become (unit, other);
    sub-units below ``k`` in total go to (other, band), those bands below ``k`` to
    (other, other); an "other" class still below ``k`` takes in the next smallest cell,
    and a last one below ``k`` is joined with the smallest class (labels coarsened). If
    the whole audience is below ``k``, there is one class and no breakdown. Deterministic:
    ties are broken by the labels.
    """
    k = spec.threshold
    groups: dict[str, dict[str, int]] = defaultdict(dict)
    for (unit, band), count in cells.items():
        if count > 0:
            groups[unit][band] = groups[unit].get(band, 0) + count
    classes: dict[Cell, list[Cell]] = {}
    pooled: dict[str, int] = defaultdict(int)
    pooled_cells: dict[str, list[Cell]] = defaultdict(list)
    for unit in sorted(groups):
        bands = groups[unit]
        if sum(bands.values()) < k and unit != ALL:
            for band, count in bands.items():
                pooled[band] += count
                pooled_cells[band].append((unit, band))
            continue
        _merge_within(unit, bands, {b: [(unit, b)] for b in bands}, k, classes)
    if pooled:
        _merge_within(OTHER, pooled, pooled_cells, k, classes)
    _absorb_residual(classes, cells, k)
    return {cell: _normalise(label, spec) for label, members in classes.items() for cell in members}


def _merge_within(
    unit: str,
    bands: Mapping[str, int],
    cells_of: Mapping[str, list[Cell]],
    k: int,
    classes: dict[Cell, list[Cell]],
) -> None:
    named = {b: n for b, n in bands.items() if n >= k and b != OTHER}
    rest = [b for b in bands if b not in named]
    while 0 < sum(bands[b] for b in rest) < k and named:
        smallest = min(named, key=lambda b: (named[b], b))
        del named[smallest]
        rest.append(smallest)
    for band in sorted(named):
        classes[(unit, band)] = list(cells_of[band])
    if rest:
        classes.setdefault((unit, OTHER), []).extend(c for b in sorted(rest) for c in cells_of[b])


def _absorb_residual(classes: dict[Cell, list[Cell]], cells: Mapping[Cell, int], k: int) -> None:
    def size(label: Cell) -> int:
        return sum(cells[c] for c in classes[label])

    while len(classes) > 1:
        small = sorted((size(label), label) for label in classes if size(label) < k)
        if not small:
            return
        _, residual = small[0]
        others = [label for label in classes if label != residual]
        target = min(others, key=lambda label: (size(label), label))
        joined = _join(residual, target)
        members = classes.pop(residual) + classes.pop(target)
        classes.setdefault(joined, []).extend(members)


def _join(a: Cell, b: Cell) -> Cell:
    return (a[0] if a[0] == b[0] else OTHER, a[1] if a[1] == b[1] else OTHER)


def _normalise(label: Cell, spec: Spec) -> Cell:
    unit = label[0] if UNIT in spec.by else ALL
    band = label[1] if AGE in spec.by else ALL
    return (unit, band)


def class_ids(labels: Iterable[Cell]) -> dict[Cell, str]:
    """Short public ids ``c1``, ``c2``, … for the class labels, in label order ("other"
    last), so the same classes always get the same ids."""

    def order(label: Cell) -> tuple[Any, ...]:
        return tuple((part == OTHER, part) for part in label)

    return {label: f"c{n}" for n, label in enumerate(sorted(set(labels), key=order), 1)}


# --- 2. rows, when results are shown -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClassInfo:
    """A class as the record publishes it (``survey.json`` → ``breakdown.classes``)."""

    unit: str
    band: str
    eligible: int
    unit_name: str = ""
    """The sub-unit's name (public organisational data), for the row's label."""


def _rows_of(dimension: str, classes: Mapping[str, ClassInfo]) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = defaultdict(list)
    for cid in sorted(classes, key=_cid_order):
        info = classes[cid]
        rows[info.unit if dimension == UNIT else info.band].append(cid)
    return dict(rows)


def _cid_order(cid: str) -> tuple[int, str]:
    digits = cid[1:]
    return (int(digits), cid) if digits.isdigit() else (0, cid)


def _respondents(cids: Sequence[str], tallies: Mapping[str, Mapping[str, Any]]) -> int:
    return sum(int(tallies[c]["respondents"]) for c in cids if c in tallies)


def _merged_rows(
    rows: Mapping[str, list[str]], tallies: Mapping[str, Mapping[str, Any]], k: int
) -> dict[str, list[str]]:
    """Rows below ``k`` answers into OTHER; OTHER below ``k`` takes the next smallest."""
    named = {key: cids for key, cids in rows.items() if key != OTHER}
    other = list(rows.get(OTHER, []))
    for key in [key for key, cids in named.items() if _respondents(cids, tallies) < k]:
        other.extend(named.pop(key))
    while named and 0 < _respondents(other, tallies) < k:
        smallest = min(named, key=lambda key: (_respondents(named[key], tallies), key))
        other.extend(named.pop(smallest))
    if not named:
        return {}  # nothing left to break down: the total is the only figure
    if _respondents(other, tallies) > 0:
        named[OTHER] = other
    return named


def _suppress(rows: list[dict[str, Any]], question_ids: Sequence[str], k: int) -> None:
    """Per question: hide counts answered by fewer than ``k``, and enough others that the
    hidden ones together hold at least ``k`` (never derivable from the total)."""
    for qid in question_ids:
        answered = {
            i: int(row["tally"]["questions"][qid]["answered"]) for i, row in enumerate(rows)
        }
        hidden = {i for i, n in answered.items() if 0 < n < k}
        while hidden and sum(answered[i] for i in hidden) < k:
            candidates = [i for i, n in answered.items() if n > 0 and i not in hidden]
            if not candidates:
                break
            hidden.add(min(candidates, key=lambda i: (answered[i], i)))
        for i in hidden:
            rows[i]["tally"]["questions"][qid] = {"suppressed": True}


def breakdown(
    manifest: SurveyManifest,
    spec: Spec,
    classes: Mapping[str, ClassInfo],
    tallies: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """The published breakdown: per dimension the rows that may be shown.

    ``tallies``: the member tally per class id (classes without answers may be absent).
    Each row: ``{"key": unit code / band / "other", "name": the sub-unit's name or "",
    "classes": [ids], "tally": TALLY}``
    with suppressed questions as ``{"suppressed": true}``. A dimension with nothing to
    show is an empty list.
    """
    out: dict[str, Any] = {"threshold": spec.threshold}
    question_ids = [q.id for q in manifest.questions]
    for dimension in spec.by:
        merged = _merged_rows(_rows_of(dimension, classes), tallies, spec.threshold)
        rows = [
            {
                "key": key,
                "name": classes[cids[0]].unit_name if dimension == UNIT and key != OTHER else "",
                "classes": cids,
                "tally": merge_tallies(manifest, [tallies[c] for c in cids if c in tallies]),
            }
            for key, cids in _ordered(dimension, merged)
        ]
        _suppress(rows, question_ids, spec.threshold)
        out[dimension] = rows
    return out


def _ordered(dimension: str, rows: Mapping[str, list[str]]) -> list[tuple[str, list[str]]]:
    def order(key: str) -> tuple[Any, ...]:
        if key == OTHER:
            return (2, 0, key)
        if dimension == AGE and key in AGE_KEYS:
            return (0, AGE_KEYS.index(key), key)
        return (1, 0, key)

    return [(key, rows[key]) for key in sorted(rows, key=order)]
