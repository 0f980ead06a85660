"""The embedded schedule (`stimmwerk serve` without a broker, as `make run` starts it)
runs what beat runs: here, that it decides an initiative whose deadline passed.

Before, it ran the referendum and survey steps only, and an initiative on the embedded
default stayed "signing" past its deadline until someone ran `stimmwerk tick`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from litestar import Litestar
from sqlalchemy.orm import Session

from app.cli import run_embedded_schedule
from app.core.db import Database, utcnow
from app.core.settings import Settings
from motions.models import Initiative, InitiativeStatus
from motions.services import sign
from tests.security.attack_support import add_people, make_initiative
from tests.security.support import make_cast


def test_the_embedded_schedule_decides_an_initiative_whose_deadline_passed(
    db: Session, database: Database, settings: Settings, app: Litestar, tmp_path: Path
) -> None:
    cast = make_cast(db, settings, app, tmp_path)
    add_people(cast)
    initiative = make_initiative(cast, InitiativeStatus.SIGNING, title="Fällig")
    sign(db, cast.accounts["signer"], initiative.id)
    initiative.closes_at = utcnow() - timedelta(minutes=1)
    db.commit()

    run_embedded_schedule(database, settings)

    db.expire_all()
    decided = db.get(Initiative, initiative.id)
    assert decided is not None
    assert decided.status in {InitiativeStatus.SUCCEEDED, InitiativeStatus.FAILED}
    assert decided.final_count == 1
