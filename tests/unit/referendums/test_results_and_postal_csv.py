"""Pure parts of issue 10, points 10 and 11: the majority rule, shares, chart bars, and
the postal voters' CSV (a name cannot become a spreadsheet formula)."""

from __future__ import annotations

import csv
import io

from referendums.outcome import ACCEPTED, LEADS, NO_VOTES, REJECTED, TIE, question_outcome
from referendums.pages.staff_tools import PostalVoter, postal_csv
from referendums.services import OptionResult, QuestionResult


def _yes_no(yes: int, no: int, abstain: int) -> QuestionResult:
    options = [
        OptionResult("Ja", yes, 0, yes, "yes"),
        OptionResult("Nein", no, 0, no, "no"),
        OptionResult("Enthaltung", abstain, 0, abstain, "abstain"),
    ]
    return QuestionResult("Soll?", options, 0, "yes_no_abstain")


def _one_of(*totals: int) -> QuestionResult:
    options = [OptionResult(f"O{i}", n, 0, n, f"o{i}") for i, n in enumerate(totals)]
    return QuestionResult("Wo?", options, 0, "one_of")


def test_more_yes_than_no_is_accepted_abstentions_do_not_count() -> None:
    outcome = question_outcome(_yes_no(3, 2, 10))
    assert outcome.verdict == ACCEPTED
    assert round(outcome.yes_percent, 1) == 60.0
    assert [round(o.percent, 1) for o in outcome.options] == [20.0, 13.3, 66.7]


def test_a_tie_or_more_no_is_rejected() -> None:
    assert question_outcome(_yes_no(2, 2, 0)).verdict == REJECTED
    assert question_outcome(_yes_no(0, 0, 0)).verdict == REJECTED
    assert question_outcome(_yes_no(1, 5, 0)).verdict == REJECTED


def test_one_of_names_the_leader_or_a_tie() -> None:
    lead = question_outcome(_one_of(1, 4, 2))
    assert (lead.verdict, lead.winner) == (LEADS, "O1")
    assert question_outcome(_one_of(3, 3, 1)).verdict == TIE
    assert question_outcome(_one_of(0, 0)).verdict == NO_VOTES


def test_bars_are_relative_to_the_largest_count() -> None:
    outcome = question_outcome(_one_of(5, 10, 0))
    bars = [option.bar for option in outcome.options]
    assert bars[1] == max(bars)
    assert bars[0] * 2 == bars[1]
    assert bars[2] == 0


def test_a_name_cannot_become_a_spreadsheet_formula() -> None:
    voter = PostalVoter("M-1", '=HYPERLINK("http://evil")', "+1", "@Str 1", "-123", "Ort", "OV")
    rows = list(csv.reader(io.StringIO(postal_csv([voter])), delimiter=";"))
    assert rows[0][0] == "Mitgliedsnummer"
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in rows[1])
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
