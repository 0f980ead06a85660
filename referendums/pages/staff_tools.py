"""Staff tools of a Mitgliederentscheid (issue 10, point 10): the roll per Ortsverein,
participation per Ortsverein, and the postal voters' addresses (CSV and letters as PDF).

Only the unit's staff (`services.managed_referendum`). Participation is shown only for an
Ortsverein with at least `PARTICIPATION_MIN_ROLL` online voters on the roll: in a smaller
one, "3 of 4 have voted" comes close to naming who has not. Participation is whether a
member fetched their voting credential (the last thing the server can tie to a member;
the ballot itself is anonymous, docs/protocol.md). Every address export is audited.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Final

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.current import current_account
from app.accounts.guards import requires_login
from app.core.audit import record_event
from app.core.db import utcnow
from app.core.downloads import CSV, PDF, attachment
from app.core.errors import NotFound
from app.core.i18n import N_, current_locale
from app.core.pdf import render_pdf
from app.core.settings import Settings
from app.organisations.models import Member, Unit
from ballots.models import ElectionStatus, RollEntry
from referendums import services
from referendums.notifications.models import MailKind
from referendums.notifications.tasks import send_mails

PARTICIPATION_MIN_ROLL: Final = 10


@dataclass
class RemindForm:
    confirm: str = ""


@dataclass(frozen=True, slots=True)
class UnitFigures:
    """One Ortsverein's line; ``fetched`` is None where it is too small to show."""

    name: str
    online: int
    postal: int
    fetched: int | None

    @property
    def total(self) -> int:
        return self.online + self.postal

    @property
    def percent(self) -> float | None:
        return None if self.fetched is None else 100.0 * self.fetched / self.online


@dataclass(frozen=True, slots=True)
class PostalVoter:
    membership_number: str
    given_name: str
    family_name: str
    street: str
    postcode: str
    city: str
    unit: str

    @property
    def has_address(self) -> bool:
        return bool(self.street and self.postcode and self.city)


def figures_by_unit(session: Session, election_id: uuid.UUID) -> list[UnitFigures]:
    """The frozen roll counted per member's unit (Ortsverein), largest first."""
    rows = session.execute(
        select(Unit.name, RollEntry.postal, RollEntry.credential_issued_on)
        .join(Member, Member.id == RollEntry.member_id)
        .join(Unit, Unit.id == Member.unit_id)
        .where(RollEntry.election_id == election_id)
    ).all()
    counts: dict[str, list[int]] = {}
    for name, postal, issued_on in rows:
        online, by_post, fetched = counts.setdefault(name, [0, 0, 0])
        counts[name] = [
            online + (not postal),
            by_post + postal,
            fetched + (issued_on is not None and not postal),
        ]
    figures = [
        UnitFigures(
            name,
            online,
            by_post,
            fetched if online >= PARTICIPATION_MIN_ROLL else None,
        )
        for name, (online, by_post, fetched) in counts.items()
    ]
    return sorted(figures, key=lambda line: (-line.total, line.name))


def postal_voters(session: Session, election_id: uuid.UUID) -> list[PostalVoter]:
    """The postal voters on the frozen roll with their register address, by postcode."""
    rows = session.execute(
        select(Member, Unit.name)
        .join(RollEntry, RollEntry.member_id == Member.id)
        .join(Unit, Unit.id == Member.unit_id)
        .where(RollEntry.election_id == election_id, RollEntry.postal.is_(True))
    ).all()
    voters = [
        PostalVoter(
            member.membership_number,
            member.given_name,
            member.family_name,
            member.street or "",
            member.postcode or "",
            member.city or "",
            unit_name,
        )
        for member, unit_name in rows
    ]
    return sorted(voters, key=lambda v: (v.postcode, v.family_name, v.given_name))


CSV_HEADER: Final = (
    "Mitgliedsnummer",
    "Vorname",
    "Nachname",
    "Straße",
    "PLZ",
    "Ort",
    "Ortsverein",
)


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text: no formula from a name like "=HYPERLINK(...)"."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def postal_csv(voters: list[PostalVoter]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for v in voters:
        row = (v.membership_number, v.given_name, v.family_name, v.street, v.postcode, v.city)
        writer.writerow([_cell(text) for text in (*row, v.unit)])
    return buffer.getvalue()


def _staff_view(
    db_session: Session, request: Request[Any, Any, Any], election_id: uuid.UUID
) -> services.ReferendumView:
    return services.managed_referendum(
        db_session, election_id, current_account(db_session, request)
    )


_FROZEN: Final = (
    ElectionStatus.ROLL_FROZEN,
    ElectionStatus.OPEN,
    ElectionStatus.CLOSED,
    ElectionStatus.TALLIED,
)


def _postal_voters(
    db_session: Session, request: Request[Any, Any, Any], election_id: uuid.UUID
) -> tuple[services.ReferendumView, list[PostalVoter]]:
    """The referendum (its staff only) and its postal voters. Addresses exist only for
    a fixed roll (before, who votes by post may change)."""
    view = _staff_view(db_session, request, election_id)
    if view.election.status not in _FROZEN:
        raise NotFound
    return view, postal_voters(db_session, view.id)


def _audit_export(
    db_session: Session, request: Request[Any, Any, Any], view: Any, kind: str, count: int
) -> None:
    record_event(
        db_session,
        "referendum:postal_voters_exported",
        actor_id=request.user.id,
        object_type="referendum",
        object_id=view.id,
        format=kind,
        count=count,
    )
    db_session.commit()


class ReferendumStaffToolsController(Controller):
    path = "/referendums"
    guards = [requires_login]

    @get("/{election_id:uuid}/roll-figures", sync_to_thread=True)
    def roll_figures(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[uuid.UUID],
    ) -> Template:
        view = _staff_view(db_session, request, election_id)
        context = self._figures_context(db_session, view)
        sent = request.query_params.get("sent", "")
        context["reminders_sent"] = int(sent) if sent.isdigit() else None
        return Template("referendums/roll_figures.html", context=context)

    @staticmethod
    def _figures_context(db_session: Session, view: services.ReferendumView) -> dict[str, Any]:
        voters = postal_voters(db_session, view.id)
        return {
            "view": view,
            "figures": figures_by_unit(db_session, view.id),
            "postal_count": len(voters),
            "without_address": [v for v in voters if not v.has_address],
            "minimum": PARTICIPATION_MIN_ROLL,
            "may_remind": view.election.status == ElectionStatus.OPEN,
            "remind_error": None,
            "reminders_sent": None,
        }

    @post("/{election_id:uuid}/remind", sync_to_thread=True)
    def remind_now(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        election_id: FromPath[uuid.UUID],
        data: Annotated[RemindForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Send the one reminder now instead of 48 hours before the end (confirmed first).

        The same rules and sent-markers as the schedule: online voters on the roll who
        have a login, have not fetched their credential and did not switch reminders
        off; nobody gets a second reminder, whoever triggers it.
        """
        view = _staff_view(db_session, request, election_id)
        refusal = None
        if view.election.status != ElectionStatus.OPEN:
            # A page left open after the close: say so (not "not found").
            refusal = N_("Reminders can be sent only while the vote is open.")
        elif data.confirm != "yes":
            refusal = N_("Tick the box to confirm that the reminder goes out now.")
        if refusal is not None:
            context = self._figures_context(db_session, view)
            context["remind_error"] = refusal
            return Template("referendums/roll_figures.html", context=context, status_code=400)
        record_event(
            db_session,
            "referendum:reminder_requested",
            actor_id=request.user.id,
            object_type="referendum",
            object_id=view.id,
        )
        db_session.commit()
        sent = send_mails(db_session, settings, view.id, MailKind.REMINDER, utcnow())
        return Redirect(
            path=f"/referendums/{view.id}/roll-figures?sent={sent}",
        )

    @get("/{election_id:uuid}/postal-voters.csv", sync_to_thread=True)
    def postal_voters_csv(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        view, voters = _postal_voters(db_session, request, election_id)
        _audit_export(db_session, request, view, "csv", len(voters))
        return attachment(postal_csv(voters), CSV, "briefwahl-adressen.csv")

    @get("/{election_id:uuid}/postal-letters.pdf", sync_to_thread=True)
    def postal_letters_pdf(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        view, voters = _postal_voters(db_session, request, election_id)
        document = render_pdf(
            "referendums/postal_letters_pdf.html",
            current_locale(),
            view=view,
            voters=voters,
            now=utcnow(),
        )
        _audit_export(db_session, request, view, "pdf", len(voters))
        return attachment(document, PDF, "briefwahl-anschreiben.pdf")
