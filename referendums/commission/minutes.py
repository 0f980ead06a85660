"""The counted result as the commission reviews it, and the Niederschrift (minutes) PDF.

`review` reads the figures the tally wrote (`ballots.tally.tally_document`): per
question and option the online, postal and total counts, the turnout and whether the
quorum was met. The commission page shows them for "Ergebnis feststellen"; the
minutes add who decrypted, who entered and confirmed the postal votes, who stated and
confirmed the result, an early close's reason, and the election's fingerprint (the
manifest hash, bound into the key ceremony and every proof).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core import i18n
from app.core.audit import AuditEvent
from app.core.pdf import render_pdf
from ballots.models import Election, PostalResult
from ballots.services._common import election_unit
from referendums.commission.api import decrypted_by
from referendums.commission.models import ResultStatement
from referendums.services import Results, tallied_results

TIMEZONE: Final = ZoneInfo("Europe/Berlin")


def review(election: Election) -> Results | None:
    """The counted figures, or None before counting: what the members' results page
    shows once the result is published (`referendums.services.tallied_results`)."""
    return tallied_results(election)


_PATTERNS: Final = {
    "de": "EEEE, d. MMMM y, HH:mm 'Uhr'",
    "en": "EEEE, d MMMM y, HH:mm",
}


def when(moment: datetime | None) -> str:
    """A moment as people read it: ``Freitag, 18. Dezember 2026, 18:00 Uhr`` (Berlin time)."""
    if moment is None:
        return "–"
    locale = i18n.current_locale()
    pattern = _PATTERNS.get(locale, _PATTERNS["de"])
    return format_datetime(moment.astimezone(TIMEZONE), pattern, locale=locale)


def account_names(session: Session, ids: list[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = [i for i in ids if i is not None]
    rows = session.execute(select(Account.id, Account.display_name).where(Account.id.in_(wanted)))
    return {row.id: row.display_name for row in rows}


def _early_close_reason(session: Session, election: Election) -> str | None:
    event = session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == "election:close_early_reason",
            AuditEvent.object_type == "election",
            AuditEvent.object_id == str(election.id),
        )
        .order_by(AuditEvent.id.desc())
    )
    return None if event is None else str(event.details.get("reason", ""))


def minutes_context(session: Session, election: Election) -> dict[str, Any]:
    """Everything the Niederschrift shows (the result must be stated and confirmed)."""
    statement = session.get(ResultStatement, election.id)
    postal = session.scalar(select(PostalResult).where(PostalResult.election_id == election.id))
    trustees = {t.index: t.account_id for t in election.trustees}
    ids: list[uuid.UUID | None] = [*trustees.values()]
    if statement is not None:
        ids += [statement.stated_by_id, statement.confirmed_by_id]
    if postal is not None:
        ids += [postal.entered_by_id, postal.confirmed_by_id]
    names = account_names(session, ids)
    early = election.closed_at is not None and election.closed_at < election.closes_at
    return {
        "election": election,
        "unit": election_unit(session, election),
        "review": review(election),
        "fingerprint": getattr(election, "fingerprint", None) or election.manifest_hash,
        "decrypted_by": [names.get(trustees[i], "?") for i in decrypted_by(session, election)],
        "threshold": election.threshold,
        "trustee_count": election.trustee_count,
        "postal": postal,
        "statement": statement,
        "names": names,
        "early": early,
        "early_reason": _early_close_reason(session, election) if early else None,
        "when": when,
        "printed_at": when(datetime.now(TIMEZONE)),
    }


def minutes_pdf(session: Session, election: Election) -> bytes:
    """The Niederschrift as PDF bytes (German)."""
    with i18n.using_locale("de"):
        context = minutes_context(session, election)
    return render_pdf("referendums/minutes_pdf.html", "de", **context)
