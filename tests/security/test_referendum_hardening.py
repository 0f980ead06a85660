"""Issue 9, findings 13, 14 and 18 on the referendum pages and the unit search.

Drafts are hidden from everyone but the unit's staff and commission; visitors without a
login see commenters as "Anna B."; titles that could reach a mail header refuse control
characters; question and option texts are bounded; numbers in the form take ASCII
digits within bounds; the unit search treats % and _ literally.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.settings import Settings
from app.discussions.models import Post
from ballots import manifest
from ballots.manifest import ElectionDraft, QuestionDraft
from ballots.models import Election
from referendums import services
from tests.helpers import csrf_token
from tests.security.support import Cast, make_cast
from tests.support.referendums_world import build_referendum


@pytest.fixture
def cast(db: Session, settings: Settings, app: Litestar, tmp_path: Path) -> Cast:
    return make_cast(db, settings, app, tmp_path)


def _referendum(cast: Cast, tmp_path: Path, stage: str = "created") -> str:
    world = build_referendum(
        cast.session,
        cast.settings,
        tmp_path,
        staff=cast.accounts["staff_own"],
        trustees=[cast.accounts["commission_own"]],
        unit_code="UB1",
        stage=stage,
        title="Entscheid über die Satzung",
    )
    return str(world.id)


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("anonymous", False),
        ("guest", False),
        ("member", False),
        ("admin_own", False),
        ("staff_other", False),
        ("staff_own", True),
        ("commission_own", True),
    ],
)
def test_a_draft_is_readable_only_by_staff_and_commission_of_its_unit(
    cast: Cast, tmp_path: Path, role: str, *, sees: bool
) -> None:
    election_id = _referendum(cast, tmp_path)
    with cast.browser(role) as client:
        page = client.get(f"/referendums/{election_id}", follow_redirects=False)
        listing = client.get("/referendums/")
    assert (page.status_code == 200) is sees, page.status_code
    if not sees:
        assert page.status_code == 404
    assert ("Entscheid über die Satzung" in listing.text) is sees


def test_visitors_see_commenters_by_first_name_and_initial(cast: Cast, tmp_path: Path) -> None:
    election_id = _referendum(cast, tmp_path, stage="ceremony")
    with cast.browser("member") as client:
        token = csrf_token(client, f"/referendums/{election_id}")
        posted = client.post(
            f"/referendums/{election_id}/comments",
            data={"body": "Ich bin dafür.", "_csrf_token": token},
            follow_redirects=False,
        )
        assert posted.status_code in {302, 303}, posted.text
        logged_in = client.get(f"/referendums/{election_id}").text
    with cast.browser("anonymous") as client:
        anonymous = client.get(f"/referendums/{election_id}").text
    assert "Olga Ortmann" in logged_in
    assert "Olga O." in anonymous
    assert "Ortmann" not in anonymous


def test_public_name() -> None:
    assert services.public_name("Anna Beate Bauer") == "Anna B."
    assert services.public_name("Prince") == "Prince"


def _new_form(cast: Cast, **changes: str) -> dict[str, str]:
    form = {
        "title": "Satzungsänderung",
        "unit_code": "UB1",
        "explanation": "Worum es geht.",
        "arguments_for": "",
        "arguments_against": "",
        "q1_text": "Soll die Satzung geändert werden?",
        "q1_method": "yes_no_abstain",
        "cutoff_at": "2031-01-01T10:00",
        "opens_at": "2031-01-02T10:00",
        "closes_at": "2031-01-09T18:00",
        "quorum": "20",
        "trustees": str(cast.accounts["commission_own"].id),
        "threshold": "1",
    }
    return {**form, **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"quorum": "²"},
        {"quorum": "٣٠"},
        {"threshold": "9" * 5000},
        {"cutoff_at": "0001-01-01T00:00"},
        {"q1_text": "x" * 200_000},
        {"q1_method": "one_of", "q1_options": "Ja\n" + "y" * 600},
        {"title": "Satzung\r\nBcc: alle@example.org"},
        {"title": "Satzung \u2028 neu"},
        {"title": "\u202eGNUZTAS"},
    ],
    ids=[
        "unicode-digit",
        "arabic-digits",
        "5000-digits",
        "year-1",
        "200KB-question",
        "long-option",
        "crlf-title",
        "u2028-title",
        "bidi-title",
    ],
)
def test_the_referendum_form_refuses_bad_input_with_a_message(
    cast: Cast, db: Session, changes: dict[str, str]
) -> None:
    before = db.scalar(select(func.count()).select_from(Election))
    with cast.browser("staff_own") as client:
        token = csrf_token(client, "/referendums/new")
        response = client.post(
            "/referendums/new",
            data={**_new_form(cast, **changes), "_csrf_token": token},
            follow_redirects=False,
        )
    assert response.status_code == 400, response.status_code
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Election)) == before


def test_titles_with_line_breaks_never_reach_the_ballot_core() -> None:
    """The ballot core's own draft check refuses them too (CLI and API paths)."""
    day = datetime(2031, 1, 1, tzinfo=UTC)
    draft = ElectionDraft(
        title="A\nBcc: x@example.org",
        description="",
        unit_code="UB1",
        unit_name="",
        cutoff_at=day,
        opens_at=day + timedelta(days=1),
        closes_at=day + timedelta(days=2),
        questions=(QuestionDraft("q1", "Frage?", "yes_no_abstain"),),
        trustees=1,
        threshold=1,
    )
    assert "title" in manifest._draft_errors(draft)


@pytest.mark.parametrize("needle", ["_", "%", "%%", "\\"])
def test_unit_search_takes_wildcards_literally(cast: Cast, needle: str) -> None:
    with cast.browser("member") as client:
        response = client.get("/units/", params={"q": needle})
    assert response.status_code == 200
    for name in ("Ortsverein Ahorn", "Unterbezirk Eins"):
        assert name not in response.text.split("<main", 1)[1].split("Gliederungsbaum", 1)[0]


def test_comment_rows_are_unchanged_by_refused_posts(
    cast: Cast, db: Session, tmp_path: Path
) -> None:
    election_id = _referendum(cast, tmp_path, stage="ceremony")
    with cast.browser("member") as client:
        token = csrf_token(client, f"/referendums/{election_id}")
        response = client.post(
            f"/referendums/{election_id}/comments",
            data={"body": "Gut\x00", "_csrf_token": token},
        )
    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(Post)) == 0
