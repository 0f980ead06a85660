"""What a counted result means, in words a member understands (issue 10, point 11).

Pure functions over `referendums.services.Results`: per question the share of each
option, the verdict by the majority rule, the bars of the chart, and the quorum
sentence. No session, no request: the results page and the results PDF both use them.

The majority rule (written on the page, docs/glossary.md):

- Ja/Nein/Enthaltung: the question is *angenommen* when it has more Ja than Nein
  votes; abstentions count for turnout but not for the majority. A tie is *abgelehnt*
  (no majority for the proposal).
- One option or up to k options: the option with the most votes has the most votes;
  when two or more share the top count, no option has a majority.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from referendums.services import QuestionResult, Results

ACCEPTED: Final = "accepted"
REJECTED: Final = "rejected"
LEADS: Final = "leads"
TIE: Final = "tie"
NO_VOTES: Final = "no_votes"

# Chart geometry (SVG user units; the SVG scales to the column width).
_LABEL_WIDTH: Final = 150
_BAR_WIDTH: Final = 260
_ROW_HEIGHT: Final = 34


@dataclass(frozen=True, slots=True)
class OptionShare:
    label: str
    online: int
    postal: int
    total: int
    percent: float
    """Share of all votes on this question (abstentions included), 0-100."""
    bar: int
    """Bar length in chart units."""
    y: int
    """Top of this option's row in the chart."""


@dataclass(frozen=True, slots=True)
class QuestionOutcome:
    text: str
    method: str
    options: list[OptionShare]
    votes: int
    """Votes on this question, all options (for up to k: ticks, not voters)."""
    postal_invalid: int
    verdict: str
    winner: str
    yes: int = 0
    no: int = 0
    yes_percent: float = 0.0
    """Ja as a share of the Ja and Nein votes (the majority rule's base)."""
    chart_height: int = 0


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def _verdict(question: QuestionResult) -> tuple[str, str, int, int]:
    """(verdict, leading option label, yes, no)."""
    totals = {option.key: option.total for option in question.options}
    if question.method == "yes_no_abstain":
        yes, no = totals.get("yes", 0), totals.get("no", 0)
        return (ACCEPTED if yes > no else REJECTED), "", yes, no
    if not question.options or max(option.total for option in question.options) == 0:
        return NO_VOTES, "", 0, 0
    best = max(option.total for option in question.options)
    leaders = [option.label for option in question.options if option.total == best]
    return (LEADS, leaders[0], 0, 0) if len(leaders) == 1 else (TIE, "", 0, 0)


def question_outcome(question: QuestionResult) -> QuestionOutcome:
    """Shares, bars and the verdict of one counted question."""
    votes = sum(option.total for option in question.options)
    most = max((option.total for option in question.options), default=0)
    shares = [
        OptionShare(
            label=option.label,
            online=option.online,
            postal=option.postal,
            total=option.total,
            percent=_percent(option.total, votes),
            bar=round(_BAR_WIDTH * option.total / most) if most else 0,
            y=index * _ROW_HEIGHT,
        )
        for index, option in enumerate(question.options)
    ]
    verdict, winner, yes, no = _verdict(question)
    return QuestionOutcome(
        text=question.text,
        method=question.method,
        options=shares,
        votes=votes,
        postal_invalid=question.postal_invalid,
        verdict=verdict,
        winner=winner,
        yes=yes,
        no=no,
        yes_percent=_percent(yes, yes + no),
        chart_height=len(shares) * _ROW_HEIGHT,
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    questions: list[QuestionOutcome]
    turnout_percent: float
    label_width: int = _LABEL_WIDTH
    bar_width: int = _BAR_WIDTH
    row_height: int = _ROW_HEIGHT


def outcome(results: Results) -> Outcome:
    """Every question's outcome and the turnout as a percentage."""
    return Outcome(
        questions=[question_outcome(question) for question in results.questions],
        turnout_percent=results.percent_x100 / 100,
    )
