"""Blind-credential issuance rules shared by every module that issues credentials.

The ballot core (``ballots.services._credentials``) and the survey engine
(``surveys.services``) issue one blind-signed credential per entry of a frozen list.
The rules that keep issuance unlinkable and single live here once, over any mapped
entry table that has the columns ``id``, ``credential_issued_on`` (a date: only the
*day* is kept), ``blinded_request_hash`` and ``blind_signature``:

- `issue_once`: sign, then mark the entry with a conditional UPDATE (``… WHERE
  credential_issued_on IS NULL``): two concurrent requests cannot both win. A retry of
  the *same* blinded request gets the same signature (a lost response); any other
  request after the first is refused. No audit event, no fine time.
- `blur_issuance_order`: at the close, rewrite every entry in one statement, so the
  database's row versions (PostgreSQL ``xmin``, row placement) no longer give the order
  in which members asked (docs/protocol.md §2.4).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session


def request_hash(blinded_msg: bytes) -> str:
    return hashlib.sha256(blinded_msg).hexdigest()


def repeat_or_refuse(
    stored_hash: str | None,
    stored_signature: bytes | None,
    blinded_msg: bytes,
    refusal: type[Exception],
) -> bytes:
    """A retry of the request that was answered gets the same answer; nothing else does."""
    if stored_hash == request_hash(blinded_msg) and stored_signature is not None:
        return stored_signature
    raise refusal


def issue_once(
    session: Session,
    entity: Any,
    entry_id: int,
    blinded_msg: bytes,
    *,
    sign: Callable[[bytes], bytes],
    day: date,
    refusal: type[Exception],
) -> bytes:
    """Blind-sign for the entry ``entry_id`` of ``entity`` at most once; commit.

    Raises ``refusal`` if the entry already has a credential for another request.
    """
    stored = session.execute(
        select(
            entity.credential_issued_on, entity.blinded_request_hash, entity.blind_signature
        ).where(entity.id == entry_id)
    ).one()
    if stored.credential_issued_on is not None:
        session.rollback()
        return repeat_or_refuse(
            stored.blinded_request_hash, stored.blind_signature, blinded_msg, refusal
        )
    signature = sign(blinded_msg)
    won = session.execute(
        update(entity)
        .where(entity.id == entry_id, entity.credential_issued_on.is_(None))
        .values(
            credential_issued_on=day,
            blinded_request_hash=request_hash(blinded_msg),
            blind_signature=signature,
        )
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()  # a concurrent request of this person won: answer as a retry
        again = session.execute(
            select(entity.blinded_request_hash, entity.blind_signature).where(entity.id == entry_id)
        ).one()
        return repeat_or_refuse(again[0], again[1], blinded_msg, refusal)
    session.commit()
    return signature


def blur_issuance_order(session: Session, entity: Any, where: ColumnElement[bool]) -> None:
    """Rewrite every entry matching ``where`` in one statement (the caller commits)."""
    session.execute(
        update(entity)
        .where(where)
        .values(credential_issued_on=entity.credential_issued_on)
        .execution_options(synchronize_session=False)
    )
