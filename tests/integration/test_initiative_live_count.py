"""The live count fragment htmx polls: read at most once a second per process.

A federal initiative's page is open in thousands of browsers, each polling the count
every 15 s. Each process keeps what it read for a second (`motions.pages._FreshCounts`)
and forgets it when a change is made through it, so a signer sees their own signature
at once. These tests go through the real app and database.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

from litestar import Litestar
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.core.settings import Settings
from motions.models import Initiative, InitiativeStatus
from motions.pages import COUNT_FRESH_SECONDS
from tests.security.attack_support import PAGE, add_people, make_initiative, send
from tests.security.support import Cast, make_cast


def _shown(cast: Cast, initiative_id: uuid.UUID) -> int:
    with cast.browser("anonymous") as visitor:
        response = visitor.get(f"/initiatives/{initiative_id}/count", headers=PAGE)
    assert response.status_code == 200, response.status_code
    found = re.search(r'id="signature-count">([\d.]+)<', response.text)
    assert found is not None, response.text
    return int(found.group(1).replace(".", ""))


def _setup(
    db: Session, settings: Settings, app: Litestar, tmp_path: Path
) -> tuple[Cast, uuid.UUID]:
    cast = make_cast(db, settings, app, tmp_path)
    add_people(cast)
    initiative = make_initiative(cast, InitiativeStatus.SIGNING, title=f"Zählung {uuid.uuid4()}")
    return cast, initiative.id


def test_a_signature_through_this_process_shows_at_once(
    db: Session, settings: Settings, app: Litestar, tmp_path: Path
) -> None:
    cast, initiative_id = _setup(db, settings, app, tmp_path)
    assert _shown(cast, initiative_id) == 0  # now kept for a second
    with cast.browser("signer") as signer:
        signed = send(signer, "POST", f"/initiatives/{initiative_id}/sign", {})
    assert signed.status_code in (302, 303), signed.status_code
    assert _shown(cast, initiative_id) == 1
    with cast.browser("signer") as signer:
        withdrawn = send(signer, "POST", f"/initiatives/{initiative_id}/withdraw", {})
    assert withdrawn.status_code in (302, 303), withdrawn.status_code
    assert _shown(cast, initiative_id) == 0


def test_a_change_made_elsewhere_shows_within_a_second(
    db: Session, settings: Settings, app: Litestar, tmp_path: Path
) -> None:
    """Another process (here: the database changed directly) counted 5 more: this
    process shows the count it read until that is a second old, then the new one."""
    cast, initiative_id = _setup(db, settings, app, tmp_path)
    assert _shown(cast, initiative_id) == 0
    db.execute(
        update(Initiative)
        .where(Initiative.id == initiative_id)
        .values(signature_count=Initiative.signature_count + 5)
    )
    db.commit()
    read_at = time.monotonic()
    assert _shown(cast, initiative_id) == 0 or time.monotonic() - read_at >= COUNT_FRESH_SECONDS
    time.sleep(COUNT_FRESH_SECONDS + 0.1)
    assert _shown(cast, initiative_id) == 5


def test_a_count_that_is_not_public_is_not_found_and_not_kept(
    db: Session, settings: Settings, app: Litestar, tmp_path: Path
) -> None:
    cast = make_cast(db, settings, app, tmp_path)
    add_people(cast)
    draft = make_initiative(cast, InitiativeStatus.SUBMITTED, title="Noch in Prüfung")
    with cast.browser("anonymous") as visitor:
        hidden = visitor.get(f"/initiatives/{draft.id}/count", headers=PAGE)
        unknown = visitor.get(f"/initiatives/{uuid.uuid4()}/count", headers=PAGE)
    assert hidden.status_code == 404
    assert unknown.status_code == 404
    draft.status = InitiativeStatus.SIGNING
    db.commit()
    assert _shown(cast, draft.id) == 0  # admitted now: no refusal was kept
