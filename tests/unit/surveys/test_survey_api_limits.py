"""Cheap attacks on the anonymous survey endpoints (as issue 8 for ballots).

Answers and credential requests are limited per client address; over the limit the
answer is 429 and nothing is stored. Junk never reaches a 500.
"""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.db import Database
from app.core.settings import Settings
from app.server import create_app
from surveys.models import SurveyAnswer

BASE_URL = "https://testserver.local"


def test_answers_from_one_address_are_limited_and_nothing_is_stored(
    settings: Settings, database: Database, db: Session
) -> None:
    voting = replace(settings.voting, cast_per_minute=2)
    app = create_app(replace(settings, voting=voting), database)
    junk = b'{"survey": "x"}'
    with TestClient(app, base_url=BASE_URL) as anonymous:
        url = "/api/surveys/00000000-0000-4000-8000-000000000000/answers"
        first = [anonymous.post(url, content=junk).status_code for _ in range(2)]
        third = anonymous.post(url, content=junk)
    assert first == [404, 404]
    assert third.status_code == 429
    assert third.headers["retry-after"] == "60"
    assert third.json()["error"] == "rate_limited"
    assert db.scalar(select(func.count()).select_from(SurveyAnswer)) == 0


def test_junk_answers_get_a_clear_error_never_a_500(settings: Settings, database: Database) -> None:
    app = create_app(settings, database)
    with TestClient(app, base_url=BASE_URL) as anonymous:
        for body in (b"", b"\xff\xfe", b"[]", b'{"a": 1}', b"{" * 10_000):
            answer = anonymous.post("/api/surveys/not-a-uuid/answers", content=body)
            assert 400 <= answer.status_code < 500, (body[:10], answer.text)
