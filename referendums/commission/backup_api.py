"""The trustee's backup confirmations (JSON, same conventions as `referendums.commission.api`).

- ``POST /api/elections/{id}/ceremony/backup`` ``{"digest": "<sha256 hex of the file>"}``:
  the browser saved the encrypted backup of the final key share and checked that it
  decrypts to the share matching the public commitments. Needed before ``share-check``
  accepts a confirmation without complaints.
- ``POST /api/elections/{id}/ceremony/backup-test`` ``{"digest": ...}``: a backup was
  restored (typically in a fresh browser) and its share matched the trustee's public
  verification key ("Sicherung prüfen").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.orm import Session

from app.accounts.models import Account
from ballots.codec import exact_object
from referendums.commission.api import answer, parse_id, seated
from referendums.commission.backups import confirm_backup, confirm_backup_test
from referendums.commission.models import TrusteeBackup

Confirm = Callable[[Session, uuid.UUID, Account, object], TrusteeBackup]


def _confirm(
    request: Request[Any, Any, Any],
    db_session: Session,
    election_id: str,
    data: Any,
    *,
    confirm: Confirm,
    shown: Callable[[TrusteeBackup], dict[str, Any]],
) -> Any:
    """Either confirmation, for the trustee of the request: ``{"digest": ...}`` in,
    ``shown(row)`` of the stored backup row out (or the API's JSON error)."""

    def run() -> dict[str, Any]:
        # The seat before the body: only this election's trustees learn more than 403.
        account, _, _ = seated(request, db_session, election_id)
        digest = exact_object(data, ("digest",))["digest"]
        return shown(confirm(db_session, parse_id(election_id), account, digest))

    return answer(run)


class TrusteeBackupApiController(Controller):
    path = "/api/elections/{election_id:str}/ceremony"

    @post("/backup", sync_to_thread=True, status_code=200)
    def backup(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: JSONBody[Any],
    ) -> Any:
        return _confirm(
            request,
            db_session,
            election_id,
            data,
            confirm=confirm_backup,
            shown=lambda row: {"trustee": row.trustee_index, "round": row.round, "confirmed": True},
        )

    @post("/backup-test", sync_to_thread=True, status_code=200)
    def backup_test(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: JSONBody[Any],
    ) -> Any:
        return _confirm(
            request,
            db_session,
            election_id,
            data,
            confirm=confirm_backup_test,
            shown=lambda row: {"trustee": row.trustee_index, "tested": True},
        )
