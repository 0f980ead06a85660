"""The record is written once and served as a stored file with a stable ETag (issue 8.8).

Before, every anonymous download of ``record.zip`` rebuilt the whole record (about 2 GB
written per request at 400,000 ballots) and its ETag changed each time.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.settings import Settings
from referendums import services
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account, make_tree
from tests.support.referendums_world import ReferendumWorld, build_referendum


def _tallied(db: Session, settings: Settings, tmp_path: Path) -> ReferendumWorld:
    units = make_tree(db)
    staff = make_account(db, settings, "staff@example.org", TEST_PASSWORD, name="Sabine")
    grant(db, staff, Role.STAFF, units["LV1"])
    commission = []
    for i in range(3):
        account = make_account(db, settings, f"k{i}@example.org", TEST_PASSWORD, name=f"K{i}")
        grant(db, account, Role.COMMISSION, units["LV1"])
        commission.append(account)
    db.commit()
    world = build_referendum(
        db, settings, tmp_path, staff=staff, trustees=commission, unit_code="LV1", stage="tallied"
    )
    _publish(db, world)
    db.commit()
    return world


def _publish(db: Session, world: ReferendumWorld) -> None:
    """Two commission members state and confirm the result, where that step exists."""
    try:
        statement = importlib.import_module("referendums.commission.statement")
    except ImportError:
        return
    if statement.statement_of(db, world.id) is not None:  # the world's "tallied" publishes
        return
    statement.state_result(db, world.id, world.trustees[0])
    statement.confirm_result(db, world.id, world.trustees[1])


def test_the_record_is_written_once_and_kept(
    db: Session, settings: Settings, tmp_path: Path
) -> None:
    world = _tallied(db, settings, tmp_path)
    first = services.stored_record(db, settings, world.id)
    written = first.path.stat()
    second = services.stored_record(db, settings, world.id)
    assert second == first
    again = second.path.stat()
    assert (again.st_ino, again.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def test_two_downloads_get_the_same_etag_and_a_conditional_get_304(
    db: Session, settings: Settings, tmp_path: Path, client: TestClient[Litestar]
) -> None:
    world = _tallied(db, settings, tmp_path)
    url = f"/referendums/{world.id}/record.zip"
    one = client.get(url)
    assert one.status_code == 200, one.text[:500]
    two = client.get(url)
    assert one.headers["etag"] == two.headers["etag"]
    assert one.content == two.content
    cached = client.get(url, headers={"If-None-Match": one.headers["etag"]})
    assert cached.status_code == 304
    assert not cached.content
    assert cached.headers["etag"] == one.headers["etag"]
