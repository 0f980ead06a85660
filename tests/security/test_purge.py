"""Issue 9, finding 18: expired sessions, old login attempts and expired tokens are purged
by the schedule (Celery beat task, embedded schedule, `stimmwerk tick`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt, OneTimeToken, WebSession
from app.accounts.purge import purge_expired_data, purge_task
from app.core.celery import BEAT_SCHEDULE
from app.core.db import utcnow
from app.core.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.factories import make_account


def _count(db: Session, model: type) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _stale_and_fresh(db: Session, settings: Settings) -> None:
    account = make_account(db, settings, "purge@example.org", TEST_PASSWORD)
    now = utcnow()
    old = now - timedelta(days=3)
    db.add_all(
        [
            WebSession(
                token_hash="a" * 64, account_id=account.id, created_at=old, last_seen_at=old
            ),
            WebSession(
                token_hash="b" * 64, account_id=account.id, created_at=now, last_seen_at=now
            ),
            LoginAttempt(occurred_at=old, login_key="k", address_key="a", succeeded=False),
            LoginAttempt(occurred_at=now, login_key="k", address_key="a", succeeded=False),
            OneTimeToken(
                token_hash="c" * 64, purpose="reset", account_id=account.id, expires_at=old
            ),
            OneTimeToken(
                token_hash="d" * 64,
                purpose="reset",
                account_id=account.id,
                expires_at=now + timedelta(hours=2),
            ),
        ]
    )
    db.commit()


def test_purge_deletes_only_what_has_expired(db: Session, settings: Settings) -> None:
    _stale_and_fresh(db, settings)
    report = purge_expired_data(db, settings.security)
    assert (report.sessions, report.attempts, report.tokens) == (1, 1, 1)
    assert _count(db, WebSession) == 1
    assert _count(db, LoginAttempt) == 1
    assert _count(db, OneTimeToken) == 1


def test_beat_runs_the_purge_task_hourly(db: Session, settings: Settings, app: object) -> None:
    """The scheduled task itself (run as the worker would, against the app's database)."""
    del app  # create_app set the runtime the task uses
    entry = BEAT_SCHEDULE["accounts-purge"]
    assert entry["task"] == purge_task.name
    assert entry["schedule"] <= 3600
    _stale_and_fresh(db, settings)
    purge_task.apply().get()
    assert _count(db, WebSession) == 1
    assert _count(db, OneTimeToken) == 1
