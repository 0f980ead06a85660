"""Breakdowns without unmasking anyone (issue 12, point 5).

Pure rules first (classes before issuance, rows and suppression when shown), then a
survey against a real database: classes fixed when it opens, each member's credential
from their class's key, the record verifies, the published breakdown shows no group
below the threshold, and a forged class count fails the verifier.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.settings import Settings
from crypto.canonical import canonical_json
from surveys import breakdown as bd
from surveys import export, services
from surveys.definition import read_definition
from surveys.verifier import verify_record
from tests import factories
from tests.surveys_support import answer_as, example_definition, good_answers

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
END = START + timedelta(days=7)
DURING = START + timedelta(days=1)
MANIFEST = read_definition(example_definition())


# --- 1. classes, before issuance ------------------------------------------------------


def _sizes(cells: dict[bd.Cell, int], spec: bd.Spec) -> Counter[bd.Cell]:
    sizes: Counter[bd.Cell] = Counter()
    for cell, label in bd.form_classes(cells, spec).items():
        sizes[label] += cells[cell]
    return sizes


def test_a_tiny_cell_is_merged_before_any_credential_so_every_class_has_k() -> None:
    cells = {
        ("A", "u30"): 3,  # one sub-unit's young members: too few to be a class
        ("A", "30-44"): 12,
        ("A", "45-59"): 15,
        ("B", "75+"): 1,  # a single person
        ("C", "30-44"): 11,
        ("C", "60-74"): 2,
    }
    sizes = _sizes(cells, bd.Spec(("unit", "age"), 10))
    assert all(size >= 10 for size in sizes.values())
    assert sum(sizes.values()) == sum(cells.values())
    assert ("A", "45-59") in sizes  # a big enough cell keeps its own class
    assert ("B", "75+") not in sizes
    assert ("A", "u30") not in sizes


def test_an_audience_below_k_is_one_class_and_merging_never_leaves_a_small_rest() -> None:
    # 30 in B but only 7 elsewhere: B alone would leave a class of 7 (identifiable)
    sizes = _sizes({("A", bd.ALL): 3, ("B", bd.ALL): 30, ("C", bd.ALL): 4}, bd.Spec(("unit",)))
    assert list(sizes.values()) == [37]
    assert _sizes({(bd.ALL, "u30"): 4}, bd.Spec(("age",))) == {(bd.ALL, bd.OTHER): 4}


def test_the_threshold_is_never_below_five() -> None:
    with pytest.raises(bd.BreakdownError):
        bd.Spec(("unit",), 4)
    with pytest.raises(bd.BreakdownError):
        bd.spec_from({"by": ["age", "unit"], "threshold": 10})  # order is fixed
    assert bd.age_band(1980, 2026) == "45-59"
    assert bd.age_band(None, 2026) == bd.UNKNOWN_AGE


# --- 2. rows, when results are shown -------------------------------------------------


def _tallies(counts: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    from surveys.definition import tally

    return {cid: tally(MANIFEST, sheets) for cid, sheets in counts.items()}


def test_a_row_below_the_threshold_is_merged_never_shown_and_other_keeps_k() -> None:
    classes = {
        "c1": bd.ClassInfo("A", bd.ALL, 20, "Ahorn"),
        "c2": bd.ClassInfo("B", bd.ALL, 20, "Birke"),
        "c3": bd.ClassInfo("C", bd.ALL, 20, "Chaussee"),
    }
    sheet = good_answers()
    tallies = _tallies({"c1": [sheet] * 12, "c2": [sheet] * 3, "c3": [sheet] * 6})
    rows = bd.breakdown(MANIFEST, bd.Spec(("unit",), 5), classes, tallies)["unit"]
    # B (3 answers) cannot be shown; "other" with B alone would be B: C joins it
    assert [(r["key"], r["tally"]["respondents"]) for r in rows] == [("A", 12), ("other", 9)]
    assert rows[0]["name"] == "Ahorn"


def test_a_question_answered_by_few_in_a_row_is_hidden_with_a_complement() -> None:
    classes = {"c1": bd.ClassInfo("A", bd.ALL, 20), "c2": bd.ClassInfo("B", bd.ALL, 20)}
    yes, no = good_answers(), {**good_answers(), "q2": "no"}
    no.pop("q4")
    # q4 (asked only after "yes") is answered by 2 in B: hidden, and A's too, or A's
    # figure and the total would give B's
    tallies = _tallies({"c1": [no] * 7 + [yes] * 6, "c2": [no] * 6 + [yes] * 2})
    rows = bd.breakdown(MANIFEST, bd.Spec(("unit",), 5), classes, tallies)["unit"]
    assert [r["tally"]["questions"]["q4"] for r in rows] == [{"suppressed": True}] * 2
    assert rows[1]["tally"]["questions"]["q1"]["answered"] == 8


def test_nothing_to_break_down_gives_no_rows() -> None:
    classes = {"c1": bd.ClassInfo(bd.ALL, "u30", 20), "c2": bd.ClassInfo(bd.ALL, "75+", 20)}
    tallies = _tallies({"c1": [good_answers()] * 3, "c2": [good_answers()] * 1})
    assert bd.breakdown(MANIFEST, bd.Spec(("age",), 5), classes, tallies)["age"] == []


# --- 3. against a real database -----------------------------------------------------


class World:
    """LV1 with UB1 (8 members aged 46, 6 aged 26) and UB2 (6 aged 46, one aged 76)."""

    def __init__(self, db: Session, settings: Settings) -> None:
        self.tree = factories.make_tree(db)
        self.staff = factories.make_account(db, settings, "staff@test.de", "pw-123456789")
        factories.grant(db, self.staff, Role.STAFF, self.tree["LV1"])
        self.by_group: dict[str, list[Account]] = {"ub1-46": [], "ub1-26": [], "ub2": []}
        plan = [("OV-A", 1980, "ub1-46")] * 8 + [("OV-B", 2000, "ub1-26")] * 6
        plan += [("OV-C", 1980, "ub2")] * 6 + [("OV-C", 1950, "ub2")]
        for n, (unit, born, group) in enumerate(plan):
            member = factories.make_member(db, self.tree[unit], "M", f"n{n}", email=f"m{n}@t.de")
            member.birth_year = born
            account = factories.make_account(
                db, settings, f"m{n}@t.de", "pw-123456789", member=member
            )
            self.by_group[group].append(account)
        db.commit()


@pytest.fixture
def world(db: Session, settings: Settings) -> World:
    return World(db, settings)


def _open(db: Session, settings: Settings, world: World) -> Any:
    survey = services.create_survey(
        db, world.staff, world.tree["LV1"], example_definition(), opens_at=START, closes_at=END,
        breakdown=bd.Spec(("unit", "age"), 5),
    )  # fmt: skip
    return services.open_survey(db, settings, world.staff, survey.id, key_bits=2048)


def test_classes_travel_with_the_credential_and_the_breakdown_hides_small_groups(
    db: Session, settings: Settings, world: World
) -> None:
    survey = _open(db, settings, world)
    classes = services.classes_of(survey)
    labels = {(c["unit"], c["band"]): (cid, c["eligible"]) for cid, c in classes.items()}
    # the single 76-year-old was merged into UB2's "other" before any credential existed
    assert labels == {
        ("UB1", "45-59"): ("c1", 8),
        ("UB1", "u30"): ("c2", 6),
        ("UB2", "other"): ("c3", 7),
    }
    assert len(set(services.issuers_of(survey) or {})) == 3  # one issuer key per class
    member = world.by_group["ub1-26"][0]
    assert services.eligibility(db, survey, member, now=DURING).audience == "members/c2"

    yes, no = good_answers(), {**good_answers(), "q2": "no"}
    no.pop("q4")
    for account in world.by_group["ub1-46"][:6]:
        answer_as(db, settings, survey, account, yes, now=DURING)
    for account in world.by_group["ub1-26"][:2]:
        answer_as(db, settings, survey, account, no, now=DURING)
    for n, account in enumerate(world.by_group["ub2"][:5]):
        answer_as(db, settings, survey, account, yes if n < 2 else no, now=DURING)

    closed = services.close_survey(db, settings, world.staff, survey.id)
    files = services.build_record_files(db, settings, closed)
    report = verify_record(files)
    assert report.ok, report.failures
    assert {"counts.class.c2", "roll.c2.issued", "results.breakdown"} <= set(report.passed)
    lines = [json.loads(x) for x in files["answers.jsonl"].splitlines()]
    assert Counter(x["class"] for x in lines) == {"c1": 6, "c2": 2, "c3": 5}
    assert all("member" not in x and "account" not in x for x in lines)

    shown = services.results(db, closed)
    assert shown is not None
    ages = {r["key"]: r["tally"]["respondents"] for r in shown["breakdown"]["age"]}
    assert ages == {"45-59": 6, "other": 7}  # the 2 answers under 30 are never shown apart
    units = {r["key"]: r for r in shown["breakdown"]["unit"]}
    assert units["UB2"]["tally"]["questions"]["q4"] == {"suppressed": True}
    assert units["UB1"]["tally"]["questions"]["q4"] == {"suppressed": True}  # complement
    rows = list(export.aggregate_rows(MANIFEST, shown))
    groups = {row[0] for row in rows}
    assert {"members [age: 45-59]", "members [age: other]", "members [unit: UB2]"} <= groups
    assert "members [age: u30]" not in groups
    assert ("members [unit: UB2]", "q4", "long_text", "", "suppressed", "") in rows

    # forged: one class credited with more credentials than its members got
    survey_json = json.loads(files["survey.json"])
    survey_json["breakdown"]["classes"]["c2"]["credentials"] = 1
    forged = dict(files, **{"survey.json": canonical_json(survey_json) + b"\n"})
    failed = {check for check, _ in verify_record(forged).failures}
    assert {"counts.class.c2", "roll.c2.issued", "counts.classes.credentials"} <= failed
    # forged: an eligible count changed after the fact breaks the fingerprint
    survey_json = json.loads(files["survey.json"])
    survey_json["breakdown"]["classes"]["c3"]["eligible"] = 9
    survey_json["breakdown"]["classes"]["c1"]["eligible"] = 6
    forged = dict(files, **{"survey.json": canonical_json(survey_json) + b"\n"})
    assert [check for check, _ in verify_record(forged).failures] == ["survey.keys"]


def test_opening_a_breakdown_with_more_than_64_classes_is_refused_and_nothing_opens(
    db: Session, settings: Settings
) -> None:
    from app.organisations.models import Member, UnitLevel

    tree = factories.make_tree(db)
    staff = factories.make_account(db, settings, "s@t.de", "pw-123456789")
    factories.grant(db, staff, Role.STAFF, tree["BV"])
    years = [2000, 1990, 1975, 1960, 1945, None]  # six bands, five members each
    for n in range(11):  # 11 sub-units x 6 bands = 66 classes of 5
        unit = factories.make_unit(db, f"X{n}", f"Verband {n}", UnitLevel.STATE, tree["BV"])
        for year in years:
            for k in range(5):
                member = factories.make_member(db, unit, "M", f"{n}-{year}-{k}")
                db.get(Member, member.id).birth_year = year  # type: ignore[union-attr]
    db.commit()
    survey = services.create_survey(
        db, staff, tree["BV"], example_definition(), opens_at=START, closes_at=END,
        breakdown=bd.Spec(("unit", "age"), 5),
    )  # fmt: skip
    with pytest.raises(services.TooManyClasses):
        services.open_survey(db, settings, staff, survey.id, key_bits=2048)
    db.expire_all()
    reread = services.get_survey(db, survey.id)
    assert reread.status.value == "draft"
    assert reread.fingerprint is None
    from sqlalchemy import func, select

    from surveys.models import SurveyRollEntry

    assert db.scalar(select(func.count()).select_from(SurveyRollEntry)) == 0
