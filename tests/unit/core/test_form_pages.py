"""app.core.form_pages.submit: which errors give the form again, which go on."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Response

from app.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from app.core.form_pages import submit


class RecordingSession:
    """Counts rollbacks; ``submit`` needs nothing else of a session."""

    def __init__(self) -> None:
        self.rollbacks = 0

    def rollback(self) -> None:
        self.rollbacks += 1


def _refused(error: Any) -> Response[Any]:
    return Response(content=type(error).__name__, status_code=400)


def _done(result: str) -> Response[Any]:
    return Response(content=result, status_code=200)


def _raise(error: DomainError) -> str:
    raise error


def test_a_refusal_is_rolled_back_and_answered_with_the_form() -> None:
    session = RecordingSession()
    answer = submit(
        session,  # type: ignore[arg-type]
        lambda: _raise(ValidationFailed({"name": "wrong"})),
        refused=_refused,
        done=_done,
    )
    assert (answer.status_code, answer.content) == (400, "ValidationFailed")
    assert session.rollbacks == 1


def test_a_done_action_is_answered_with_its_result_and_nothing_rolled_back() -> None:
    session = RecordingSession()
    answer = submit(session, lambda: "saved", refused=_refused, done=_done)  # type: ignore[arg-type]
    assert (answer.status_code, answer.content) == (200, "saved")
    assert session.rollbacks == 0


def test_an_error_outside_the_refusals_goes_on() -> None:
    session = RecordingSession()
    with pytest.raises(Conflict):
        submit(session, lambda: _raise(Conflict()), refused=_refused, done=_done)  # type: ignore[arg-type]
    assert session.rollbacks == 0


def test_passes_go_on_although_they_are_refusals() -> None:
    """NotFound is a DomainError: with ``passes`` it stays a 404, not the form again."""
    session = RecordingSession()
    with pytest.raises(NotFound):
        submit(
            session,  # type: ignore[arg-type]
            lambda: _raise(NotFound()),
            refused=_refused,
            done=_done,
            refusals=(DomainError,),
            passes=(NotFound,),
        )
    answer = submit(
        session,  # type: ignore[arg-type]
        lambda: _raise(Conflict()),
        refused=_refused,
        done=_done,
        refusals=(DomainError,),
        passes=(NotFound,),
    )
    assert (answer.status_code, answer.content) == (400, "Conflict")
    assert session.rollbacks == 1
