"""The trustee's backup of their key share: confirmed before the ceremony goes on.

A trustee's key share exists only in their browser. Losing it (a cleared browser, a
broken laptop) takes one trustee out of the decryption; losing too many makes the
result undecryptable. So the browser makes an encrypted backup file as soon as the
share is final (after opening the shares received, before confirming them), checks
that the file decrypts to the share that matches the public commitments, and only
then tells the server; the server refuses the share confirmation
(`referendums.commission.api`, ``share-check``) until that confirmation is recorded.

What the server records is no secret: the ceremony round and the SHA-256 of the file.
It cannot check the file itself (it never sees it); the browser's own check and the
later test restore ("Sicherung prüfen", in a fresh browser) are what show the file
holds the share.
"""

from __future__ import annotations

import re
import uuid
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.db import utcnow
from app.core.errors import Conflict, ValidationFailed
from app.core.i18n import N_
from ballots import errors, services
from ballots.models import Election, ElectionStatus
from referendums.commission.models import TrusteeBackup

_DIGEST = re.compile(r"[0-9a-f]{64}")
BACKUP_MISSING: Final = N_(
    "Save the encrypted backup of your key share first. Only then can you confirm your "
    "shares: without a backup the key share is lost with this browser."
)


class BackupMissing(Conflict):
    message = BACKUP_MISSING


def _seat_index(election: Election, account: Account) -> int:
    seat = next((t for t in election.trustees if t.account_id == account.id), None)
    if seat is None:
        raise errors.NotAllowed
    return seat.index


def _checked_digest(digest: object) -> str:
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise ValidationFailed({"digest": N_("The backup's checksum is malformed.")})
    return digest


def current_backups(session: Session, election: Election) -> dict[int, TrusteeBackup]:
    """The trustees' backups of the current ceremony round, by trustee index."""
    rows = session.scalars(
        select(TrusteeBackup).where(
            TrusteeBackup.election_id == election.id,
            TrusteeBackup.round == election.ceremony_round,
        )
    )
    return {row.trustee_index: row for row in rows}


def has_backup(session: Session, election: Election, index: int) -> bool:
    return index in current_backups(session, election)


def require_backup(session: Session, election: Election, index: int) -> None:
    """Refuse (409) unless trustee ``index`` confirmed a backup of this round's share."""
    if not has_backup(session, election, index):
        raise BackupMissing


def confirm_backup(
    session: Session, election_id: uuid.UUID, account: Account, digest: object
) -> TrusteeBackup:
    """Record that the trustee saved (and their browser checked) a backup of the share.

    Possible once every trustee has dealt (the share can be final) and until the
    result is counted; a new file replaces the record of an older one.
    """
    checked = _checked_digest(digest)
    election = services.get_election(session, election_id)
    index = _seat_index(election, account)
    if election.status == ElectionStatus.TALLIED:
        raise errors.WrongState(election.status.value)
    if election.status == ElectionStatus.DRAFT:
        state = services.ceremony_state(session, election.id)
        if not state.all_dealt:
            raise errors.WrongState(election.status.value)
    row = session.get(TrusteeBackup, (election.id, index))
    if row is None:
        row = TrusteeBackup(election_id=election.id, trustee_index=index)
        session.add(row)
    if row.digest != checked or row.round != election.ceremony_round:
        row.tested_at = None
    row.round, row.digest, row.confirmed_at = election.ceremony_round, checked, utcnow()
    services.record_election_event(
        session,
        "trustee:backup_confirmed",
        election.id,
        account,
        trustee=index,
        round=election.ceremony_round,
    )
    session.commit()
    return row


def confirm_backup_test(
    session: Session, election_id: uuid.UUID, account: Account, digest: object
) -> TrusteeBackup:
    """Record that the trustee restored a backup and it matched their verification key."""
    checked = _checked_digest(digest)
    election = services.get_election(session, election_id)
    index = _seat_index(election, account)
    row = current_backups(session, election).get(index)
    if row is None:
        raise BackupMissing
    row.tested_at = utcnow()
    services.record_election_event(
        session,
        "trustee:backup_tested",
        election.id,
        account,
        trustee=index,
        round=election.ceremony_round,
        same_file=row.digest == checked,
    )
    session.commit()
    return row
