"""What every voting route looks up first: the election named in its path, and on the
member's own pages the logged-in voter."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request
from sqlalchemy.orm import Session

from app.accounts.current import required_account
from ballots import services
from ballots.errors import ElectionNotFound
from ballots.models import Election


def election_id(raw: str) -> uuid.UUID:
    """The election id of a path; one that is not an id is an election that does not
    exist (404), never a 500 or a 400 that tells the two apart."""
    try:
        return uuid.UUID(raw)
    except ValueError as error:
        raise ElectionNotFound from error


def election_of(db_session: Session, raw: str) -> Election:
    return services.get_election(db_session, election_id(raw))


def voter_member_id(db_session: Session, request: Request[Any, Any, Any]) -> int | None:
    """The member the logged-in account votes as: None for a guest or a disabled
    account (the pages then show why it cannot vote)."""
    account = required_account(db_session, request)
    return None if account.is_disabled else account.member_id
