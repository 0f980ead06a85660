"""Creating a referendum writes the election and its texts in one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.audit import AuditEvent
from app.core.settings import Settings
from ballots.models import Election
from referendums import services
from referendums.models import Referendum
from tests import ballots_support as support


def _texts() -> services.ReferendumTexts:
    return services.ReferendumTexts("Worum es geht.", "Dafür spricht viel.", "Dagegen auch.")


def test_a_failure_after_the_election_leaves_nothing_behind(
    db: Session, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = support.make_world(db, settings, tmp_path)
    draft = support.draft(world)
    trustees = [account.id for account in world.commission[:3]]

    def broken(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_set_texts", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        services.create_referendum(
            db, settings, world.staff, draft, trustees, texts=_texts(), now=world.start
        )

    assert db.scalar(select(func.count()).select_from(Election)) == 0
    assert db.scalar(select(func.count()).select_from(Referendum)) == 0
    created = select(func.count()).where(AuditEvent.action == "election:created")
    assert db.scalar(created) == 0


def test_creating_writes_the_election_and_its_texts(
    db: Session, settings: Settings, tmp_path: Path
) -> None:
    world = support.make_world(db, settings, tmp_path)
    referendum = services.create_referendum(
        db,
        settings,
        world.staff,
        support.draft(world),
        [account.id for account in world.commission[:3]],
        texts=_texts(),
        now=world.start,
    )
    db.expire_all()
    stored = db.get(Referendum, referendum.election_id)
    assert stored is not None
    assert stored.arguments_for == "Dafür spricht viel."
    assert db.get(Election, referendum.election_id) is not None
