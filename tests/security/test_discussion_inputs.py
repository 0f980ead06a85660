"""Hostile input to the discussion routes: a clear refusal, never a 500, nothing stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.db import utcnow
from app.discussions import services
from app.discussions.models import Discussion, Post, PostScope, ReadScope
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account, make_member, make_tree
from tests.helpers import csrf_token, log_in


@pytest.fixture
def debate(db, settings):
    units = make_tree(db)
    member = make_member(db, units["OV-A"], "Anna", "Arndt", email="anna@example.org")
    account = make_account(db, settings, "anna@example.org", TEST_PASSWORD, member=member)
    grant(db, account, Role.STAFF, units["LV1"])
    db.commit()
    draft = services.DebateDraft(
        title="Debatte",
        opening="Worum es geht.",
        closes_at=utcnow() + timedelta(days=1),
        read_scope=ReadScope.PUBLIC,
        post_scope=PostScope.EVERYONE,
    )
    return services.open_debate(db, account, units["LV1"], draft)


HOSTILE_POSTS = [
    {"body": "Hallo", "parent_id": "abc"},
    {"body": "Hallo", "parent_id": "99999999999999999999999"},
    {"body": "Hallo", "quote_id": "-1"},
    {"body": "Hallo", "parent_id": "123456"},
    {"body": "<img src=x onerror=alert(1)>"},
    {"body": "<!-- versteckt -->"},
    {"body": "x" * 5001},
    {"body": ""},
]


@pytest.mark.parametrize("data", HOSTILE_POSTS)
def test_hostile_posts_are_refused_and_store_nothing(client, db, debate, data):
    log_in(client, "anna@example.org", TEST_PASSWORD)
    page = f"/discussions/{debate.id}"
    token = csrf_token(client, page)
    response = client.post(
        f"{page}/posts", data={**data, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code in {400, 404}, response.status_code
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Post)) == 0


@pytest.mark.parametrize(
    "path",
    [
        "?page=-5",
        "?page=999999999999999999",
        "?sort=%27;DROP",
        "/live?after=zz",
        "/live?after=-1",
        "/search?q=" + "a%25_" * 100,
        "/search?q=%22unbalanced",
    ],
)
def test_hostile_queries_answer_without_error(client, debate, path):
    response = client.get(f"/discussions/{debate.id}{path}")
    assert response.status_code == 200, response.status_code


def test_hostile_debate_forms_are_refused(client, db, debate):
    log_in(client, "anna@example.org", TEST_PASSWORD)
    page = "/discussions/units/LV1/new"
    for data in (
        {"title": "T", "closes_at": "gestern", "read_scope": "public", "post_scope": "members"},
        {"title": "T", "read_scope": "alle", "post_scope": "members"},
        {"title": "Zeile\neins", "read_scope": "public", "post_scope": "members"},
        {
            "title": "T",
            "opening": "<script>x</script>",
            "read_scope": "public",
            "post_scope": "members",
        },
    ):
        token = csrf_token(client, page)
        response = client.post(page, data={**data, "_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 400, (data, response.status_code)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Discussion)) == 1


def test_stance_and_reasons_are_checked(client, db, debate):
    log_in(client, "anna@example.org", TEST_PASSWORD)
    page = f"/discussions/{debate.id}"
    token = csrf_token(client, page)
    client.post(f"{page}/posts", data={"body": "Hallo", "_csrf_token": token})
    post_id = db.scalar(select(Post.id))
    for action, data in (
        ("react", {"stance": "begeistert"}),
        ("report", {"reason": ""}),
        ("hide", {"reason": "x" * 501}),
    ):
        token = csrf_token(client, page)
        response = client.post(
            f"/discussions/posts/{post_id}/{action}",
            data={**data, "_csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 400, (action, response.status_code)
