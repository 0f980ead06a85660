"""Issue 9, findings 12 and 18: the commission and voter APIs answer with codes and
German messages, never a 500 and never the parser's own words."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar
from sqlalchemy.orm import Session

from app.core.settings import Settings
from ballots.services import _ceremony
from tests.helpers import csrf_token
from tests.security.support import Cast, make_cast
from tests.support.referendums_world import build_referendum


@pytest.fixture
def cast(db: Session, settings: Settings, app: Litestar, tmp_path: Path) -> Cast:
    return make_cast(db, settings, app, tmp_path)


def _referendum(cast: Cast, tmp_path: Path, stage: str) -> str:
    world = build_referendum(
        cast.session,
        cast.settings,
        tmp_path,
        staff=cast.accounts["staff_own"],
        trustees=[cast.accounts["commission_own"]],
        unit_code="UB1",
        stage=stage,
    )
    return str(world.id)


def _post(cast: Cast, role: str, path: str, body: object) -> tuple[int, dict[str, object]]:
    with cast.browser(role) as client:
        token = csrf_token(client, "/password/forgot")
        response = client.post(
            path, json=body, headers={"x-csrftoken": token, "accept": "application/json"}
        )
    return response.status_code, response.json()


SIGNING_KEY = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
"""RFC 8032 test 1's public key: a valid Ed25519 key to register with a sealing key."""


def test_a_step_in_the_wrong_state_is_409_wrong_state(cast: Cast, tmp_path: Path) -> None:
    """Registering a sealing key after the ceremony: WrongState used to become a 500."""
    election_id = _referendum(cast, tmp_path, "ceremony")
    status, body = _post(
        cast,
        "commission_own",
        f"/api/elections/{election_id}/ceremony/sealing-key",
        {"public_key": "11" * 32, "signing_key": SIGNING_KEY},
    )
    assert status == 409, body
    assert body["error"] == "wrong_state"
    assert "{status}" not in str(body["message"])


@pytest.mark.parametrize("role", ["guest", "member", "commission_other", "staff_own"])
def test_anyone_but_a_trustee_gets_403_before_any_lock(
    cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    election_id = _referendum(cast, tmp_path, "created")
    locks: list[object] = []
    real_lock = _ceremony.lock_election

    def counting_lock(*args: object, **kwargs: object) -> object:
        locks.append(args)
        return real_lock(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_ceremony, "lock_election", counting_lock)
    for path, body in [
        ("/ceremony/sealing-key", {"public_key": "11" * 32}),
        ("/ceremony/dealing", {"commitments": [], "sealed": {}}),
        ("/ceremony/share-check", {"complaints": []}),
        ("/ceremony/backup", {"digest": "00" * 32}),
    ]:
        status, answer = _post(cast, role, f"/api/elections/{election_id}{path}", body)
        assert status == 403, (path, answer)
        assert answer["error"] == "not_trustee"
    assert locks == []


def test_the_voter_api_refuses_in_german_without_parser_details(cast: Cast, tmp_path: Path) -> None:
    election_id = _referendum(cast, tmp_path, "open")
    with cast.browser("anonymous") as client:
        response = client.post(
            f"/api/elections/{election_id}/ballots",
            content=b"{ kein json",
            headers={"content-type": "application/json", "accept-language": "de"},
        )
    body = response.json()
    assert response.status_code == 400, body
    assert body["error"] == "malformed"
    assert body["message"] == "Der Stimmzettel hat nicht das erwartete Format."
    for internal in ("Expecting", "JSON", "line 1", "column"):
        assert internal not in body["message"]
