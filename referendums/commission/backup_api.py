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

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.orm import Session

from ballots.codec import exact_object
from referendums.commission.api import answer, parse_id, seated
from referendums.commission.backups import confirm_backup, confirm_backup_test


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
        def run() -> dict[str, Any]:
            # The seat before the body: only this election's trustees learn more than 403.
            account, _, _ = seated(request, db_session, election_id)
            digest = exact_object(data, ("digest",))["digest"]
            row = confirm_backup(db_session, parse_id(election_id), account, digest)
            return {"trustee": row.trustee_index, "round": row.round, "confirmed": True}

        return answer(run)

    @post("/backup-test", sync_to_thread=True, status_code=200)
    def backup_test(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: JSONBody[Any],
    ) -> Any:
        def run() -> dict[str, Any]:
            # The seat before the body: only this election's trustees learn more than 403.
            account, _, _ = seated(request, db_session, election_id)
            digest = exact_object(data, ("digest",))["digest"]
            row = confirm_backup_test(db_session, parse_id(election_id), account, digest)
            return {"trustee": row.trustee_index, "tested": True}

        return answer(run)
