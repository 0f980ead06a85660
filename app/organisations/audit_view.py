"""The audit log as admins read it: scoped like member data, with names and German labels.

Scope: an admin of a unit sees the events about that unit and everything below it (an
event's unit is its object's unit, else its actor's member unit; see
``app.core.audit``). Only admins of the root unit see the whole log, including events
that belong to no unit (guests' logins, imports, party-wide steps).

Names: an actor or object is shown by name where the reader may see that person's
data (members in the reader's scope, accounts acting in it); everything else keeps its
id. The log itself stores no names, so nothing is copied into it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.audit import AuditEvent, AuditFilter, recent_events, register_unit_resolver
from app.core.i18n import N_
from app.core.inputs import parse_whole
from app.organisations.models import Member, Unit
from app.organisations.policies import scope_paths

_TIMEZONE = ZoneInfo("Europe/Berlin")  # the party's dates, as in referendums
PAGE_SIZE = 100
MAX_PERSON_MATCHES = 50
_ISO_DATE_LENGTH = 10


# -- which unit an event is about ----------------------------------------------------------


def _member_unit(session: Session, object_id: str) -> int | None:
    member = session.get(Member, int(object_id))
    return member.unit_id if member else None


def _unit(session: Session, object_id: str) -> int | None:
    unit = session.get(Unit, int(object_id))
    return unit.id if unit else None


def _account_unit(session: Session, object_id: str) -> int | None:
    account = session.get(Account, uuid.UUID(object_id))
    if account is None or account.member_id is None:
        return None
    return _member_unit(session, str(account.member_id))


def register() -> None:
    """Tell the audit log how to place members, units and accounts (``app.registry``)."""
    register_unit_resolver("member", _member_unit)
    register_unit_resolver("unit", _unit)
    register_unit_resolver("account", _account_unit)


# -- what a reader may see -----------------------------------------------------------------


def admin_paths(session: Session, account: Account) -> list[str]:
    return scope_paths(session, account.id, {Role.ADMIN})


def is_root_admin(session: Session, paths: list[str]) -> bool:
    """Whether one of the scope paths is a root unit's (the whole tree)."""
    roots = session.scalars(select(Unit.path).where(Unit.parent_id.is_(None)))
    return any(path in paths for path in roots)


def scoped_unit_ids(paths: list[str]) -> Select[Any]:
    return select(Unit.id).where(or_(*(Unit.path.startswith(path) for path in paths)))


# -- the reader's filters ------------------------------------------------------------------


@dataclass
class AuditQuery:
    """The filter form as typed; every field may be empty or nonsense."""

    action: str = ""
    person: str = ""
    since: str = ""
    until: str = ""
    before: str = ""


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if len(text.strip()) == _ISO_DATE_LENGTH else None
    except ValueError:
        return None


def people_matching(session: Session, text: str, unit_ids: Select[Any] | None) -> list[uuid.UUID]:
    """Accounts whose name or address contains ``text`` (within the reader's scope)."""
    needle = text.strip()
    query = select(Account.id).where(
        or_(
            Account.display_name.contains(needle, autoescape=True),
            Account.email.contains(needle.lower(), autoescape=True),
        )
    )
    if unit_ids is not None:
        query = query.join(Member, Member.id == Account.member_id).where(
            Member.unit_id.in_(unit_ids)
        )
    return list(session.scalars(query.limit(MAX_PERSON_MATCHES)))


@dataclass
class AuditRow:
    event: AuditEvent
    when: datetime
    """In the party's time zone, for people to read."""
    label: str
    actor: str
    subject: str
    details: list[tuple[str, str]]


@dataclass
class AuditPage:
    rows: list[AuditRow]
    actions: list[tuple[str, str]]
    query: AuditQuery
    errors: dict[str, str]
    next_before: int | None
    whole_log: bool


def audit_page(session: Session, reader: Account, query: AuditQuery) -> AuditPage:
    """One page of the log for ``reader`` (an admin somewhere), newest first."""
    paths = admin_paths(session, reader)
    whole = is_root_admin(session, paths)
    unit_ids = None if whole else scoped_unit_ids(paths)
    errors: dict[str, str] = {}
    where = _filter(session, query, unit_ids, errors)
    events = (
        []
        if where is None
        else recent_events(session, limit=PAGE_SIZE, unit_ids=unit_ids, where=where)
    )
    namer = _Namer(session, unit_ids)
    rows = [namer.row(event) for event in events]
    return AuditPage(
        rows=rows,
        actions=action_choices(),
        query=query,
        errors=errors,
        next_before=events[-1].id if len(events) == PAGE_SIZE else None,
        whole_log=whole,
    )


def _filter(
    session: Session,
    query: AuditQuery,
    unit_ids: Select[Any] | None,
    errors: dict[str, str],
) -> AuditFilter | None:
    since, until = _day(query.since), _day(query.until)
    if query.since.strip() and since is None:
        errors["since"] = N_("Enter a date like 2026-12-04.")
    if query.until.strip() and until is None:
        errors["until"] = N_("Enter a date like 2026-12-04.")
    before = parse_whole(query.before, low=1, high=2**62) if query.before.strip() else None
    if query.before.strip() and before is None:
        errors["before"] = N_("This page of the log does not exist.")
    actor_ids = None
    if query.person.strip():
        actor_ids = people_matching(session, query.person, unit_ids)
        if not actor_ids:
            errors["person"] = N_("Nobody in your area has this name or address.")
    if errors:
        return None
    return AuditFilter(
        action=query.action.strip() or None,
        actor_ids=actor_ids,
        since=_midnight(since),
        until=_midnight(until + timedelta(days=1)) if until else None,
        before_id=before,
    )


def _midnight(day: date | None) -> datetime | None:
    """Midnight at the start of ``day`` in the party's time zone (Europe/Berlin)."""
    if day is None:
        return None
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time.min, tzinfo=ZoneInfo("Europe/Berlin"))


class _Namer:
    """Names for ids, where the reader may see them; cached per page."""

    def __init__(self, session: Session, unit_ids: Select[Any] | None) -> None:
        self.session = session
        self.visible: set[int] | None = None if unit_ids is None else set(session.scalars(unit_ids))

    def _in_scope(self, unit_id: int | None) -> bool:
        return self.visible is None or (unit_id is not None and unit_id in self.visible)

    def account(self, account_id: uuid.UUID | None) -> str:
        if account_id is None:
            return "System"
        account = self.session.get(Account, account_id)
        if account is None:
            return str(account_id)
        member = self.session.get(Member, account.member_id) if account.member_id else None
        if self.visible is None or (member is not None and self._in_scope(member.unit_id)):
            return account.display_name
        return str(account_id)[:8]

    def subject(self, event: AuditEvent) -> str:
        kind, ident = event.object_type, event.object_id
        if not kind or not ident:
            return ""
        try:
            if kind == "member":
                member = self.session.get(Member, int(ident))
                if member is not None and self._in_scope(member.unit_id):
                    return f"{member.given_name} {member.family_name} ({member.membership_number})"
            elif kind == "unit":
                unit = self.session.get(Unit, int(ident))
                if unit is not None:
                    return unit.name
            elif kind == "account":
                return self.account(uuid.UUID(ident))
        except (ValueError, TypeError):
            pass
        return f"{kind} {ident}"

    def row(self, event: AuditEvent) -> AuditRow:
        details = [(str(key), _shown(value)) for key, value in sorted(event.details.items())]
        return AuditRow(
            event=event,
            when=event.occurred_at.astimezone(_TIMEZONE),
            label=ACTION_LABELS.get(event.action, event.action),
            actor=self.account(event.actor_id),
            subject=self.subject(event),
            details=details,
        )


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def action_choices() -> list[tuple[str, str]]:
    """(action, label) for the filter, grouped by their prefix."""
    return sorted(ACTION_LABELS.items(), key=lambda item: item[0])


ACTION_LABELS: dict[str, str] = {
    "account:activated": N_("Account activated"),
    "account:created": N_("Account created"),
    "account:email_change_refused": N_("E-mail change refused"),
    "account:email_change_requested": N_("E-mail change requested"),
    "account:email_change_undone": N_("E-mail change undone"),
    "account:email_changed": N_("E-mail address changed"),
    "account:email_verified": N_("E-mail address confirmed"),
    "account:passkey_added": N_("Passkey added"),
    "account:passkey_removed": N_("Passkey removed"),
    "account:password_rehashed": N_("Password hash renewed"),
    "account:password_reset": N_("Password reset"),
    "account:password_reset_requested": N_("Password reset requested"),
    "account:recovery_codes_generated": N_("Recovery codes generated"),
    "account:totp_disabled": N_("Second factor switched off"),
    "account:totp_enabled": N_("Second factor switched on"),
    "account:unconfirmed_password_dropped": N_("Unconfirmed password discarded"),
    "audit:viewed": N_("Audit log viewed"),
    "ceremony:complaint_refused": N_("Key ceremony: complaint refused"),
    "ceremony:dealt": N_("Key ceremony: shares dealt"),
    "ceremony:key_registered": N_("Key ceremony: key registered"),
    "ceremony:restarted": N_("Key ceremony restarted"),
    "ceremony:shares_verified": N_("Key ceremony: shares checked"),
    "commission:step_mails_sent": N_("Commission reminded of a step"),
    "discussion:banned": N_("Banned from a discussion"),
    "discussion:deleted": N_("Post deleted"),
    "discussion:digest_unsubscribed": N_("Discussion digest switched off"),
    "discussion:edited": N_("Post edited"),
    "discussion:moderator_named": N_("Moderator named"),
    "discussion:moderator_removed": N_("Moderator removed"),
    "discussion:opened": N_("Discussion opened"),
    "discussion:post_approved": N_("Post approved"),
    "discussion:post_hidden": N_("Post hidden"),
    "discussion:post_shown": N_("Post shown again"),
    "discussion:posted": N_("Post written"),
    "discussion:preferences": N_("Discussion settings changed"),
    "discussion:report_dismissed": N_("Reports dismissed"),
    "discussion:reported": N_("Post reported"),
    "discussion:unbanned": N_("Ban lifted"),
    "election:close_early_reason": N_("Vote closed early (reason)"),
    "election:closed": N_("Vote closed"),
    "election:created": N_("Vote created"),
    "election:keys_ready": N_("Election key ready"),
    "election:opened": N_("Vote opened"),
    "election:roll_frozen": N_("Voter roll frozen"),
    "election:tallied": N_("Votes counted"),
    "election:updated": N_("Vote changed"),
    "guest:registered": N_("Guest registered"),
    "login:failed": N_("Login failed"),
    "login:password_ok": N_("Password correct, second factor pending"),
    "login:recovery_code_used": N_("Login with a recovery code"),
    "login:second_factor_limit": N_("Too many wrong second-factor codes"),
    "login:second_factor_locked": N_("Second factor locked"),
    "login:succeeded": N_("Logged in"),
    "logout": N_("Logged out"),
    "member:activation_refused": N_("Member activation refused"),
    "member:activation_resent": N_("Activation sent again"),
    "member:activation_sent": N_("Activation sent"),
    "member:contact_updated": N_("Contact data changed"),
    "member:viewed": N_("Member record viewed"),
    "members:imported": N_("Member register imported"),
    "members:invited": N_("Members invited"),
    "members:letter_codes_issued": N_("Letter codes issued"),
    "members:listed": N_("Member list viewed"),
    "referendum:comment_hidden": N_("Comment hidden"),
    "referendum:comment_posted": N_("Comment posted"),
    "referendum:created": N_("Member vote created"),
    "referendum:invitations_sent": N_("Invitations sent"),
    "referendum:opened_without_backups": N_("Vote opened without every trustee's backup"),
    "referendum:postal_voters_exported": N_("Postal voters' addresses exported"),
    "referendum:reminder_requested": N_("Reminder sent by staff"),
    "referendum:reminders_sent": N_("Reminders sent"),
    "referendum:reminders_opted_in": N_("Reminders switched on"),
    "referendum:reminders_opted_out": N_("Reminders switched off"),
    "referendum:updated": N_("Member vote changed"),
    "result:confirm_refused": N_("Result confirmation refused"),
    "result:confirmed": N_("Result confirmed"),
    "result:stated": N_("Result stated"),
    "role:granted": N_("Role granted"),
    "role:revoked": N_("Role revoked"),
    "survey:closed": N_("Survey closed"),
    "initiative:adopted": N_("Initiative adopted by the board"),
    "initiative:admitted": N_("Initiative admitted, signing opened"),
    "initiative:failed": N_("Initiative failed (threshold not reached)"),
    "initiative:initiator_confirmed": N_("Co-initiator confirmed"),
    "initiative:paper_entered": N_("Paper signature list entered"),
    "initiative:referendum_due": N_("Initiative not adopted: member referendum due"),
    "initiative:referendum_prepared": N_("Member referendum prepared from an initiative"),
    "initiative:refused": N_("Initiative refused as not admissible"),
    "initiative:rules_set": N_("Initiative rules set"),
    "initiative:signed": N_("Initiative signed"),
    "initiative:signers_viewed": N_("Initiative signers viewed"),
    "initiative:started": N_("Initiative started"),
    "initiative:submitted": N_("Initiative submitted for checking"),
    "initiative:succeeded": N_("Initiative succeeded (threshold reached)"),
    "initiative:withdrawn": N_("Initiative signature withdrawn"),
    "survey:created": N_("Survey created"),
    "survey:invitations_sent": N_("Survey invitations sent"),
    "survey:opened": N_("Survey opened"),
    "survey:paper_confirmed": N_("Survey paper answers confirmed"),
    "survey:paper_discarded": N_("Survey paper answers withdrawn"),
    "survey:paper_entered": N_("Survey paper answers entered"),
    "survey:reminders_sent": N_("Survey reminders sent"),
    "survey:updated": N_("Survey changed"),
    "tally:partial_decryption": N_("Partial decryption received"),
    "tally:postal_confirm_refused": N_("Postal result confirmation refused"),
    "tally:postal_confirmed": N_("Postal result confirmed"),
    "tally:postal_entered": N_("Postal result entered"),
    "tally:postal_mismatch": N_("Postal results do not match"),
    "tally:postal_refused": N_("Postal result refused (no trustee or no valid signature)"),
    "tally:statement_fixed": N_("Result statement fixed"),
    "trustee:backup_confirmed": N_("Trustee backup confirmed"),
    "trustee:backup_tested": N_("Trustee backup tested"),
    "units:imported": N_("Units imported"),
}
"""Every action the code records (a test fails if one is missing), as shown in the UI."""
