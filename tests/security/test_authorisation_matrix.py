"""Issue 9, "How it is checked": every route x every role, generated from the route table.

The routes come from the app itself (``app.routes``), so a new route that is missing
from ``POLICY`` fails the suite until someone decides who may use it. Each route is
called by each role of ``tests.security.support.ROLES`` (anonymous, guest, member,
staff, commission and admin of the own unit and of another unit) on objects of the own
unit, and the answer must be "allowed" exactly for the roles listed. "Denied" is 401,
403, 404 or a redirect to the login (or second-factor) step; "allowed" is anything else
that is not a 500: the role got past the guard, even if the empty test form is then
refused as incomplete (400) or the referendum's state says not now (409).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import Session

from app.core.settings import Settings
from tests.security.matrix_harness import ALLOWED, DENIED, call, make_objects, route_keys
from tests.security.support import ROLES, make_cast

EVERYONE = frozenset(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
MEMBERS = LOGGED_IN - {"guest"}
NOBODY: frozenset[str] = frozenset()
ADMINS = frozenset({"admin_own", "admin_other"})
ADMIN_OWN = frozenset({"admin_own"})
STAFF = frozenset({"staff_own", "staff_other"})
STAFF_OWN = frozenset({"staff_own"})
MEMBER_DATA_OWN = frozenset({"staff_own", "admin_own"})
TRUSTEE = frozenset({"commission_own"})


# Who gets past each route's guard, in the state the harness builds (a referendum of
# the own unit after its key ceremony). Decide here for every new route.
POLICY: dict[str, frozenset[str]] = {
    "GET /": EVERYONE,
    "GET /account/security": LOGGED_IN,
    "GET /account/totp": LOGGED_IN,
    "GET /activate": EVERYONE,  # a link from a mail: the token is the proof
    "GET /activate/start": EVERYONE,
    "GET /admin/audit": ADMINS,  # each sees the log of their own units (scoped)
    "GET /admin/invitations": NOBODY,  # only the POST exists for people; GET is not a page
    "GET /admin/roles": ADMINS,  # scoped list
    "GET /api/elections/{election_id:str}/board/{ballot_hash:str}": NOBODY,  # no such ballot
    "GET /api/elections/{election_id:str}/ceremony": TRUSTEE,
    "GET /api/elections/{election_id:str}/ceremony/shares": TRUSTEE,
    "GET /api/elections/{election_id:str}/client-data": EVERYONE,  # public manifest and keys
    "GET /api/elections/{election_id:str}/decryption": TRUSTEE,
    "GET /dashboard": LOGGED_IN,
    "GET /healthz": EVERYONE,
    "GET /hilfe": EVERYONE,
    "GET /impressum": EVERYONE,
    "GET /datenschutz": EVERYONE,
    "GET /barrierefreiheit": EVERYONE,
    "GET /login": EVERYONE,
    "GET /login/totp": NOBODY,  # only a half-finished login continues here
    "GET /me": LOGGED_IN,
    "GET /me/email/confirm": EVERYONE,
    "GET /me/email/undo": EVERYONE,
    "GET /members/{member_id:int}": MEMBER_DATA_OWN,
    "GET /password/forgot": EVERYONE,
    "GET /password/reset": EVERYONE,
    "GET /referendums": EVERYONE,
    "GET /referendums/commission-tasks": LOGGED_IN,
    "GET /referendums/mine": LOGGED_IN,
    "GET /referendums/new": STAFF,
    "GET /referendums/reminders/opt-out": NOBODY,  # without a signed token: not found
    "GET /referendums/{election_id:str}/board": EVERYONE,
    "GET /referendums/{election_id:str}/board/lookup": EVERYONE,
    "GET /referendums/{election_id:str}/ballot-check": EVERYONE,  # public check of an opened ballot
    "GET /referendums/{election_id:str}/commission": TRUSTEE,
    "GET /referendums/{election_id:str}/commission/minutes.pdf": NOBODY,  # none before the result
    "GET /referendums/{election_id:str}/commission/status": TRUSTEE,
    "GET /referendums/{election_id:str}/roll-check": LOGGED_IN,  # each sees only their own entry
    "GET /referendums/{election_id:str}/vote": LOGGED_IN,  # the page explains who may vote
    "GET /referendums/{election_id:uuid}": EVERYONE,
    "GET /referendums/{election_id:uuid}/edit": STAFF_OWN,
    "GET /referendums/{election_id:uuid}/manage": STAFF_OWN,
    "GET /referendums/{election_id:uuid}/record.zip": NOBODY,  # no record before the tally
    "GET /referendums/{election_id:uuid}/results": NOBODY,  # nothing published yet
    "GET /referendums/{election_id:uuid}/results.pdf": NOBODY,  # nothing published yet
    "GET /referendums/{election_id:uuid}/roll-figures": STAFF_OWN,
    "GET /referendums/{election_id:uuid}/postal-voters.csv": NOBODY,  # roll not fixed yet
    "GET /referendums/{election_id:uuid}/postal-letters.pdf": NOBODY,  # roll not fixed yet
    "POST /referendums/{election_id:uuid}/remind": STAFF_OWN,  # then 400: not open yet
    "GET /register": EVERYONE,
    "GET /register/verify": EVERYONE,
    "GET /static/{file_path:path}": EVERYONE,
    "GET /units": LOGGED_IN,
    "GET /units/{code:str}": LOGGED_IN,
    "GET /units/{code:str}/members": MEMBER_DATA_OWN,
    "POST /account/passkeys": LOGGED_IN,
    "POST /account/passkeys/{passkey_id:int}/delete": NOBODY,  # not their passkey
    "POST /account/recovery-codes": LOGGED_IN,
    "POST /account/totp": LOGGED_IN,
    "POST /account/totp/disable": LOGGED_IN,
    "POST /activate": EVERYONE,
    "POST /activate/code": EVERYONE,
    "POST /activate/start": EVERYONE,
    "POST /admin/invitations": NOBODY,  # empty form: no unit, not found
    "POST /admin/letter-codes": NOBODY,
    "POST /admin/roles": ADMINS,
    "POST /admin/roles/{assignment_id:int}/revoke": ADMIN_OWN,
    "POST /api/elections/{election_id:str}/ballots": NOBODY,  # voting is not open
    "POST /api/elections/{election_id:str}/ceremony/backup": TRUSTEE,
    "POST /api/elections/{election_id:str}/ceremony/backup-test": TRUSTEE,
    "POST /api/elections/{election_id:str}/ceremony/dealing": TRUSTEE,
    "POST /api/elections/{election_id:str}/ceremony/sealing-key": TRUSTEE,
    "POST /api/elections/{election_id:str}/ceremony/share-check": TRUSTEE,
    "POST /api/elections/{election_id:str}/credential": MEMBERS,  # the roll decides later
    "POST /api/elections/{election_id:str}/decryption": TRUSTEE,
    "POST /language": EVERYONE,
    "POST /login": EVERYONE,
    "POST /login/passkey": NOBODY,  # only a half-finished login continues here
    "POST /login/totp": NOBODY,
    "POST /logout": EVERYONE,
    "POST /me": MEMBERS,
    "POST /me/email": LOGGED_IN,
    "POST /me/email/confirm": EVERYONE,
    "POST /me/email/undo": EVERYONE,
    "POST /me/reminders": MEMBERS,
    "POST /members/{member_id:int}/activation": ADMIN_OWN,
    "POST /password/forgot": EVERYONE,
    "POST /password/reset": EVERYONE,
    "POST /referendums/new": STAFF,
    "POST /referendums/reminders/opt-out": NOBODY,
    "POST /referendums/{election_id:str}/commission/close": TRUSTEE,
    "POST /referendums/{election_id:str}/commission/postal": TRUSTEE,
    "POST /referendums/{election_id:str}/commission/postal/confirm": TRUSTEE,
    "POST /referendums/{election_id:str}/commission/result/confirm": TRUSTEE,
    "POST /referendums/{election_id:str}/commission/result/state": TRUSTEE,
    "POST /referendums/{election_id:str}/commission/tally": TRUSTEE,
    "POST /referendums/{election_id:uuid}/comments": LOGGED_IN,
    "POST /referendums/{election_id:uuid}/comments/{comment_id:int}/hide": STAFF_OWN,
    "POST /referendums/{election_id:uuid}/edit": STAFF_OWN,
    "POST /referendums/{election_id:uuid}/freeze": STAFF_OWN,
    "POST /referendums/{election_id:uuid}/open": STAFF_OWN,
    "POST /register": EVERYONE,
    "POST /register/verify": EVERYONE,
    # Discussions (app/discussions): the referendum's discussion, the own unit's debates.
    "GET /discussions/mine": LOGGED_IN,
    "GET /discussions/preferences": LOGGED_IN,
    "GET /discussions/units/{code:str}/debates": EVERYONE,
    "GET /discussions/units/{code:str}/new": STAFF_OWN,
    "GET /discussions/units/{code:str}/search": EVERYONE,
    "GET /discussions/unsubscribe/{account_id:uuid}/{token:str}": NOBODY,  # forged token
    "GET /discussions/{discussion_id:uuid}": EVERYONE,  # the referendum is published
    "GET /discussions/{discussion_id:uuid}/live": EVERYONE,
    "GET /discussions/{discussion_id:uuid}/search": EVERYONE,
    "POST /discussions/posts/{post_id:int}/approve": STAFF_OWN,
    "POST /discussions/posts/{post_id:int}/ban": STAFF_OWN,
    "POST /discussions/posts/{post_id:int}/delete": frozenset({"member"}),  # the author; then gone
    "POST /discussions/posts/{post_id:int}/edit": frozenset({"member"}),  # the author only
    "POST /discussions/posts/{post_id:int}/hide": STAFF_OWN,
    "POST /discussions/posts/{post_id:int}/react": LOGGED_IN,
    "POST /discussions/posts/{post_id:int}/report": LOGGED_IN,
    "POST /discussions/posts/{post_id:int}/show": STAFF_OWN,
    "POST /discussions/preferences": LOGGED_IN,
    "POST /discussions/units/{code:str}/new": STAFF_OWN,
    "POST /discussions/unsubscribe/{account_id:uuid}/{token:str}": NOBODY,
    "POST /discussions/{discussion_id:uuid}/follow": LOGGED_IN,
    "POST /discussions/{discussion_id:uuid}/posts": LOGGED_IN,
    # Moderation (app/discussions/moderation): the queue and acting there need a discussion
    # one moderates; naming moderators and lifting exclusions are for staff or board only.
    "GET /discussions/moderation": STAFF,  # each sees the queue of their own units only
    "GET /discussions/{discussion_id:uuid}/moderation": STAFF_OWN,
    "POST /discussions/posts/{post_id:int}/dismiss": STAFF_OWN,
    "POST /discussions/{discussion_id:uuid}/moderators": STAFF_OWN,
    # The harness names no moderator and excludes nobody: 404 for everyone; who may do
    # these is in tests/features/discussions/moderation_queue.feature.
    "POST /discussions/{discussion_id:uuid}/moderators/{account_id:uuid}/remove": NOBODY,
    "POST /discussions/{discussion_id:uuid}/bans/{account_id:uuid}/lift": NOBODY,
    # Surveys: checked against a survey id that does not exist, so most answer "not found"
    # to everyone; the same routes on real surveys (draft, open, answered) as every role
    # are in test_survey_attacks.py (SURVEY_ROUTES lists each route and where).
    "GET /api/surveys/{survey_id:str}/answers/{answer_hash:str}": NOBODY,
    "GET /api/surveys/{survey_id:str}/client-data": NOBODY,
    "GET /api/surveys/{survey_id:str}/me": NOBODY,
    "GET /api/surveys/{survey_id:str}/preview": NOBODY,
    "GET /api/surveys/{survey_id:str}/record.zip": NOBODY,
    "GET /api/surveys/{survey_id:str}/results": NOBODY,
    "GET /api/surveys/{survey_id:str}/export/{kind:str}": NOBODY,
    "GET /api/surveys/{survey_id:str}/texts/{question_id:str}": NOBODY,
    "POST /api/surveys": NOBODY,  # the empty body names no unit
    "PUT /api/surveys/{survey_id:str}": NOBODY,
    "POST /api/surveys/{survey_id:str}/answers": NOBODY,
    "POST /api/surveys/{survey_id:str}/close": NOBODY,
    "POST /api/surveys/{survey_id:str}/copy": LOGGED_IN,  # 422: the body is checked first
    "POST /api/surveys/{survey_id:str}/credential": LOGGED_IN,  # 400: the body is checked first
    "POST /api/surveys/{survey_id:str}/open": NOBODY,
    # Survey pages (surveys/pages): lists for everyone logged in, the editor for staff and
    # board; a survey's own pages check its unit per object (here: no survey, 404).
    "GET /surveys": LOGGED_IN,
    "GET /surveys/mine": LOGGED_IN,
    "GET /surveys/units/{code:str}": LOGGED_IN,
    "GET /surveys/new": STAFF,
    "POST /surveys/new": STAFF,  # 400: the empty form is refused at its fields
    "GET /surveys/{survey_id:uuid}": NOBODY,
    "GET /surveys/{survey_id:uuid}/edit": NOBODY,
    "GET /surveys/{survey_id:uuid}/manage": NOBODY,
    "GET /surveys/{survey_id:uuid}/preview": NOBODY,
    "GET /surveys/{survey_id:uuid}/results": NOBODY,
    "POST /surveys/{survey_id:uuid}/edit": NOBODY,
    "POST /surveys/{survey_id:uuid}/open": NOBODY,
    "POST /surveys/{survey_id:uuid}/close": NOBODY,
    "POST /surveys/{survey_id:uuid}/copy": NOBODY,
    # Paper answers (surveys/paper_pages): staff of the survey's unit, per object (no survey).
    "GET /surveys/{survey_id:uuid}/paper": NOBODY,
    "GET /surveys/{survey_id:uuid}/paper/questionnaire.pdf": NOBODY,
    "POST /surveys/{survey_id:uuid}/paper/enter": NOBODY,
    "POST /surveys/{survey_id:uuid}/paper/confirm": NOBODY,
    "POST /surveys/{survey_id:uuid}/paper/discard": NOBODY,
    # Initiatives (motions/pages): the harness has none, so every per-object route is 404;
    # the same routes on real initiatives in every state as every role are in
    # test_initiative_attacks.py (INITIATIVE_ROUTES), the stories in features/motions.
    "GET /initiatives": EVERYONE,
    "GET /initiatives/mine": LOGGED_IN,
    "GET /initiatives/new": MEMBERS,
    # Login is the guard; membership of the chosen unit is checked with the form's data,
    # so the harness's empty form is refused (400, nothing stored) for any logged-in role.
    "POST /initiatives/new": LOGGED_IN,
    "GET /initiatives/notices/opt-out": EVERYONE,  # the mailed link's page; changes nothing
    "POST /initiatives/notices/opt-out": NOBODY,  # forged token
    "GET /initiative-rules/{unit_id:int}": STAFF_OWN,
    "POST /initiative-rules/{unit_id:int}": STAFF_OWN,
    "GET /initiatives/{initiative_id:uuid}": NOBODY,
    "GET /initiatives/{initiative_id:uuid}/count": NOBODY,
    "GET /initiatives/{initiative_id:uuid}/entscheid": NOBODY,
    "GET /initiatives/{initiative_id:uuid}/paper": NOBODY,
    "GET /initiatives/{initiative_id:uuid}/signatures.json": NOBODY,
    "GET /initiatives/{initiative_id:uuid}/signers": NOBODY,
    "POST /initiatives/{initiative_id:uuid}/paper/withdraw": NOBODY,
    "POST /initiatives/{initiative_id:uuid}/admit": NOBODY,
    "POST /initiatives/{initiative_id:uuid}/adopt": NOBODY,
    "POST /initiatives/{initiative_id:uuid}/check": NOBODY,
    "POST /initiatives/{initiative_id:uuid}/confirm": NOBODY,
    "POST /initiatives/{initiative_id:uuid}/entscheid": NOBODY,
    "POST /initiatives/{initiative_id:uuid}/paper": NOBODY,
    "POST /initiatives/{initiative_id:uuid}/refuse": NOBODY,
    "POST /initiatives/{initiative_id:uuid}/sign": NOBODY,
    "POST /initiatives/{initiative_id:uuid}/submit": NOBODY,
    "POST /initiatives/{initiative_id:uuid}/withdraw": NOBODY,
}

# Where a successful answer is the login page itself.
SUCCESS_AT_LOGIN = {"POST /logout", "POST /password/forgot"}


def test_every_route_has_a_declared_policy(app: Litestar) -> None:
    keys = {f"{method} {path}" for method, path in route_keys(app)}
    missing = sorted(keys - POLICY.keys())
    assert not missing, f"routes without a policy (add them to POLICY): {missing}"
    stale = sorted(POLICY.keys() - keys)
    assert not stale, f"policies of routes that no longer exist: {stale}"


def test_every_route_for_every_role(
    db: Session, settings: Settings, app: Litestar, tmp_path: Path
) -> None:
    cast = make_cast(db, settings, app, tmp_path)
    objects = make_objects(cast, tmp_path)
    wrong: list[str] = []
    checked = 0
    # One open client for all calls; `call` gives it the role's cookies afresh each time.
    with TestClient(app, base_url="https://testserver.local") as client:
        for method, template in route_keys(app):
            key = f"{method} {template}"
            allowed = POLICY.get(key)
            if allowed is None:
                continue  # reported by the test above
            for role in ROLES:
                status, location = call(cast, objects, role, method, template, client=client)
                checked += 1
                got = _outcome(key, status, location)
                expected = ALLOWED if role in allowed else DENIED
                if status >= 500 or got != expected:
                    wrong.append(f"{key} as {role}: {status} {location} (expected {expected})")
    assert checked >= len(POLICY) * len(ROLES) - len(ROLES)
    assert not wrong, "\n".join(wrong)


def _outcome(key: str, status: int, location: str) -> str:
    if status in {401, 403, 404}:
        return DENIED
    if status in {301, 302, 303, 307}:
        if location.startswith(("/login?", "/account/totp")):
            return DENIED
        if location == "/login" and key not in SUCCESS_AT_LOGIN:
            return DENIED
    return ALLOWED


@pytest.mark.parametrize("role", ROLES)
def test_roles_are_distinct_people(role: str) -> None:
    """Guard against a typo in the role list making two columns the same person."""
    assert ROLES.count(role) == 1
