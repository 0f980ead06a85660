"""Issue 9, finding 13: a mail that cannot be sent is never marked as sent.

Two ways an invitation used to be lost for good while its "sent" marker was committed:
a title with a line break (the mail library refuses the header after the commit) and an
SMTP server that refuses the message. Now the first is refused before the commit (the
marker rolls back) and the second deletes its marker when the retries are used up; in
both cases the next run of the schedule sends the invitation.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core.db import Database
from app.core.runtime import set_runtime
from app.core.settings import Settings
from ballots.models import Election
from referendums.notifications.models import ReferendumMailMarker
from referendums.notifications.tasks import run_schedule
from tests.conftest import MailCatcher, free_port
from tests.factories import make_member
from tests.security.support import Cast, make_cast
from tests.support.referendums_world import ReferendumWorld, build_referendum


class Refusing:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        return "554 5.7.1 refused by policy"


@pytest.fixture
def refusing_smtp() -> Any:
    controller = Controller(Refusing(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def world(db: Session, settings: Settings, app: Litestar, tmp_path: Path) -> ReferendumWorld:
    cast: Cast = make_cast(db, settings, app, tmp_path)
    return build_referendum(
        db,
        settings,
        tmp_path,
        staff=cast.accounts["staff_own"],
        trustees=[cast.accounts["commission_own"]],
        unit_code="UB1",
        stage="roll_frozen",
    )


def _markers(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(ReferendumMailMarker)) or 0)


def test_a_refused_mail_is_not_marked_sent_and_the_next_run_retries(  # noqa: PLR0917
    db: Session,
    database: Database,
    settings: Settings,
    world: ReferendumWorld,
    refusing_smtp: Controller,
    mailbox: MailCatcher,
) -> None:
    refusing = replace(settings, mail=replace(settings.mail, smtp_port=refusing_smtp.port))
    set_runtime(refusing, database)  # what the mail task reads
    first = run_schedule(db, refusing, now=world.opens + timedelta(minutes=1))
    assert first.opened == [world.id]
    assert first.invitations > 0
    assert _markers(db) == 0  # every refused invitation took its marker back
    assert mailbox.messages == []

    set_runtime(settings, database)  # the server accepts again
    second = run_schedule(db, settings, now=world.opens + timedelta(minutes=2))
    assert second.invitations == first.invitations
    assert _markers(db) == first.invitations
    assert len(mailbox.messages) == first.invitations


def test_a_title_that_cannot_be_a_header_rolls_the_markers_back(
    db: Session,
    database: Database,
    settings: Settings,
    world: ReferendumWorld,
    mailbox: MailCatcher,
) -> None:
    # A title from before titles were checked (the form refuses line breaks now).
    db.execute(
        update(Election).where(Election.id == world.id).values(title="Satzung\r\nBcc: x@y.z")
    )
    db.commit()
    set_runtime(settings, database)
    run_schedule(db, settings, now=world.opens + timedelta(minutes=1))
    assert _markers(db) == 0
    assert mailbox.messages == []

    db.execute(update(Election).where(Election.id == world.id).values(title="Satzung"))
    db.commit()
    again = run_schedule(db, settings, now=world.opens + timedelta(minutes=2))
    assert again.invitations > 0
    assert _markers(db) == again.invitations
    assert len(mailbox.messages) == again.invitations


def test_a_refused_activation_invitation_is_retried_too(  # noqa: PLR0917
    db: Session,
    database: Database,
    settings: Settings,
    app: Litestar,
    tmp_path: Path,
    refusing_smtp: Controller,
    mailbox: MailCatcher,
) -> None:
    """A member without a login is invited through an activation link: that mail too
    gives its marker back when the server refuses it, and the next run sends it."""
    cast: Cast = make_cast(db, settings, app, tmp_path)
    make_member(db, cast.units["OV-A"], "Lena", "Loginlos", email="lena@example.org")
    db.commit()
    world = build_referendum(
        db,
        settings,
        tmp_path,
        staff=cast.accounts["staff_own"],
        trustees=[cast.accounts["commission_own"]],
        unit_code="UB1",
        stage="roll_frozen",
    )
    refusing = replace(settings, mail=replace(settings.mail, smtp_port=refusing_smtp.port))
    set_runtime(refusing, database)
    run_schedule(db, refusing, now=world.opens + timedelta(minutes=1))
    assert _markers(db) == 0
    set_runtime(settings, database)
    run_schedule(db, settings, now=world.opens + timedelta(minutes=2))
    assert mailbox.to("lena@example.org"), "the activation invitation was not retried"
