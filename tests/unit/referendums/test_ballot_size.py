"""The create form's ballot size is the size of a real cast ballot, to the byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.core.settings import Settings
from ballots import client
from ballots.ballot_size import MAX_BALLOT_BYTES, ballot_bytes, fits_ballot
from ballots.manifest import OptionDraft, QuestionDraft
from tests import ballots_support as support


def test_the_computed_size_is_the_size_of_a_real_ballot(
    db: Session, settings: Settings, tmp_path: Path
) -> None:
    world = support.make_world(db, settings, tmp_path, members=("anna",), postal=())
    questions = (support.YES_NO, support.ONE_OF, support.UP_TO)
    support.open_for_voting(world, questions=questions)
    choices = {"q1": ["yes"], "q2": ["bonn"], "q3": ["a", "c"]}
    ballot = client.make_ballot(world.keys(), support.credential(world, "anna"), choices)

    real = len(client.ballot_bytes(ballot))
    assert ballot_bytes(support.draft(world, questions=questions)) == real


def _question(index: int, method: str, options: int, k: int | None = None) -> QuestionDraft:
    labels = tuple(OptionDraft(f"o{i}", f"Option {i}") for i in range(1, options + 1))
    return QuestionDraft(f"q{index}", f"Frage {index}?", method, labels, k)


def test_the_documented_examples_fit_or_do_not(db: Session, settings: Settings, tmp_path: Path):
    """The figures of docs/referendums/results-and-staff-tools.md ("How many questions")."""
    world = support.make_world(db, settings, tmp_path, members=(), postal=())

    def draft(*questions: QuestionDraft) -> object:
        return support.draft(world, questions=questions)

    twenty_yes_no = draft(*(_question(i, "yes_no_abstain", 0) for i in range(1, 21)))
    assert fits_ballot(twenty_yes_no)  # type: ignore[arg-type]
    ten_of_ten = draft(*(_question(i, "one_of", 10) for i in range(1, 11)))
    assert fits_ballot(ten_of_ten)  # type: ignore[arg-type]
    assert fits_ballot(draft(_question(1, "one_of", 64)))  # type: ignore[arg-type]
    assert fits_ballot(draft(_question(1, "up_to", 64, 64)))  # type: ignore[arg-type]
    twenty_of_ten = draft(*(_question(i, "one_of", 10) for i in range(1, 21)))
    assert not fits_ballot(twenty_of_ten)  # type: ignore[arg-type]
    assert ballot_bytes(twenty_of_ten) > MAX_BALLOT_BYTES  # type: ignore[arg-type]


def test_the_core_refuses_a_definition_whose_ballots_nobody_could_cast(
    db: Session, settings: Settings, tmp_path: Path
) -> None:
    """Not only the form: any caller of the ballot core (CLI, API, an initiative that
    becomes a referendum) gets the refusal, and nothing is stored."""
    from sqlalchemy import func, select

    from ballots.errors import ManifestInvalid
    from ballots.models import Election

    world = support.make_world(db, settings, tmp_path, members=(), postal=())
    huge = tuple(_question(i, "one_of", 64) for i in range(1, 5))
    assert not fits_ballot(support.draft(world, questions=huge))
    with pytest.raises(ManifestInvalid) as refused:
        support.create(world, questions=huge)
    assert "questions" in refused.value.errors
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Election)) == 0
