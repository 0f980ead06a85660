"""The member import: streamed, compared by hash, written in chunks."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import (
    Connection,
    String,
    bindparam,
    func,
    insert,
    select,
    type_coerce,
    update,
)

from app.core.db import utcnow
from app.core.i18n import N_
from app.organisations.models import (
    MemberStatus,
)

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

from app.organisations.imports._common import (
    _MEMBERS,
    _UNITS,
    CHUNK_SIZE,
    MEMBER_COLUMNS,
    CsvSource,
    ImportReport,
    RowError,
    _all_or_nothing,
    _chunks,
    _record_import,
    _refresh_statistics,
    _reject_if_any,
)
from app.organisations.imports._csv import (
    _open_lines,
    _records,
)
from app.organisations.imports._fields import (
    _birth_year,
    _echo,
    _email,
    _joined_on,
    _membership_number,
    _postal_vote,
    _status,
    _text,
)

# --- Members ------------------------------------------------------------------------------

_SHARED_EMAIL = N_(
    "Another active member has the same e-mail address; each member needs an address "
    "of their own (or none)."
)

# The stored values an import sets, in the order of the compared tuple.
_MEMBER_STATE = (
    "given_name",
    "family_name",
    "email",
    "birth_year",
    "unit_id",
    "joined_on",
    "status",
    "left_on",
    "postal_vote",
)


class _Stored(NamedTuple):
    id: int
    digest: int  # hash() of the _MEMBER_STATE tuple
    left_on: date | None


def _load_members(connection: Connection) -> dict[str, _Stored]:
    """``membership_number -> (id, digest, left_on)`` for the whole register, in one query.

    A hash instead of the values keeps 400,000 members near 100 MB. A collision (2**-64
    for a changed row) would only skip one update, which the next import makes up for.
    """
    columns = [
        # Compare the plain string, not an enum member, with what the file gives.
        type_coerce(_MEMBERS.c.status, String()) if name == "status" else _MEMBERS.c[name]
        for name in _MEMBER_STATE
    ]
    query = select(_MEMBERS.c.membership_number, _MEMBERS.c.id, *columns)
    left_on = 2 + _MEMBER_STATE.index("left_on")
    stored: dict[str, _Stored] = {}
    # yield_per streams (a server-side cursor on PostgreSQL) instead of buffering it all.
    for row in connection.execute(query.execution_options(yield_per=20_000)):
        values = tuple(row)
        stored[values[0]] = _Stored(values[1], hash(values[2:]), values[left_on])
    return stored


class _MemberRow(NamedTuple):
    """A checked row; the fields after the number follow _MEMBER_STATE, minus left_on."""

    membership_number: str | None
    given_name: str
    family_name: str
    email: str | None
    birth_year: int | None
    unit_id: int | None
    joined_on: date | None
    status: str
    postal_vote: bool


class _MemberImport:
    """One pass over the file: check each row, queue inserts and updates, write in chunks.

    Writing starts before the end of the file, so 400,000 parsed rows never sit in memory
    at once; it stops at the first bad row, and the caller then rolls back.
    """

    def __init__(self, connection: Connection, today: date, now: datetime) -> None:
        self.connection = connection
        self.today = today
        self.now = now
        self.errors: list[RowError] = []
        units = connection.execute(select(_UNITS.c.code, _UNITS.c.id))
        self.unit_ids: dict[str, int] = {unit.code: unit.id for unit in units}
        self.stored = _load_members(connection)
        self.first_line: dict[str, int] = {}
        self.repeated: set[str] = set()
        self.email_line: dict[str, int] = {}
        self.repeated_emails: set[str] = set()
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.created = self.updated = self.unchanged = self.total = 0

    def add(self, line: int, raw: tuple[str, ...]) -> None:
        self.total += 1
        before = len(self.errors)
        row = self._parse(line, raw)
        if row.membership_number is not None:
            self._check_unique(line, row.membership_number)
        if row.email is not None and row.status == MemberStatus.ACTIVE.value:
            self._check_unique_email(line, row.email)
        if len(self.errors) == before:
            self._queue(row)

    def _parse(self, line: int, raw: tuple[str, ...]) -> _MemberRow:
        errors = self.errors
        number, given, family, email, birth_year, unit_code, joined_on, status, postal = raw
        return _MemberRow(
            _membership_number(errors, line, number),
            _text(errors, line, "given_name", given, 100, echo=False),
            _text(errors, line, "family_name", family, 100, echo=False),
            _email(errors, line, email),
            _birth_year(errors, line, birth_year, self.today.year),
            self._unit_id(line, unit_code),
            _joined_on(errors, line, joined_on),
            _status(errors, line, status),
            _postal_vote(errors, line, postal),
        )

    def _unit_id(self, line: int, raw: str) -> int | None:
        code = raw.strip()
        unit_id = self.unit_ids.get(code)
        if unit_id is None:
            message = N_("The unit does not exist.") if code else N_("This field is required.")
            self.errors.append(RowError(line, "unit_code", message, _echo(code)))
        return unit_id

    def _check_unique(self, line: int, number: str) -> None:
        """Report a repeated number on its first line (once) and on every repetition."""
        first = self.first_line.setdefault(number, line)
        if first == line:
            return
        message = N_("This membership number appears more than once in the file.")
        if number not in self.repeated:
            self.repeated.add(number)
            self.errors.append(RowError(first, "membership_number", message, number))
        self.errors.append(RowError(line, "membership_number", message, number))

    def _check_unique_email(self, line: int, email: str) -> None:
        """One address, one active member: a second one could never get an account
        (accounts are found by address). The address itself is not echoed."""
        first = self.email_line.setdefault(email, line)
        if first == line:
            return
        if email not in self.repeated_emails:
            self.repeated_emails.add(email)
            self.errors.append(RowError(first, "email", _SHARED_EMAIL))
        self.errors.append(RowError(line, "email", _SHARED_EMAIL))

    def check_stored_emails(self) -> None:
        """After writing: no two active members (from the file or already stored) share
        an address. The whole import is rolled back if any do."""
        if self.errors:
            return
        query = (
            select(_MEMBERS.c.email)
            .where(_MEMBERS.c.email.is_not(None), _MEMBERS.c.status == MemberStatus.ACTIVE)
            .group_by(_MEMBERS.c.email)
            .having(func.count() > 1)
        )
        for email in self.connection.scalars(query):
            self.errors.append(RowError(self.email_line.get(email, 1), "email", _SHARED_EMAIL))

    def _queue(self, row: _MemberRow) -> None:
        if self.errors:
            return  # the import will be rejected: stop writing, keep checking
        number = cast("str", row.membership_number)
        stored = self.stored.pop(number, None)  # what remains at the end is missing
        # A member who left keeps a stored date of leaving; today only if there is none.
        left = row.status == MemberStatus.LEFT.value
        left_on = ((stored.left_on if stored else None) or self.today) if left else None
        state = (*row[1:8], left_on, row.postal_vote)
        if stored is not None and hash(state) == stored.digest:
            self.unchanged += 1
            return
        values = dict(zip(_MEMBER_STATE, state, strict=True), updated_at=self.now)
        if stored is None:
            self.created += 1
            self.inserts.append(values | {"membership_number": number, "created_at": self.now})
        else:
            self.updated += 1
            self.updates.append(values | {"member_id": stored.id})
        if len(self.inserts) >= CHUNK_SIZE or len(self.updates) >= CHUNK_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.errors:
            self.inserts.clear()
            self.updates.clear()
            return
        if self.inserts:
            self.connection.execute(insert(_MEMBERS), self.inserts)
            self.inserts.clear()
        if self.updates:
            columns = (*_MEMBER_STATE, "updated_at")
            statement = (
                update(_MEMBERS)
                .where(_MEMBERS.c.id == bindparam("member_id"))
                .values({name: bindparam(name) for name in columns})
            )
            self.connection.execute(statement, self.updates)
            self.updates.clear()

    def mark_missing_left(self) -> int:
        """Mark active members absent from the file as left today; none is deleted."""
        if self.errors:
            return 0
        if self.total == 0:
            # An empty or truncated upload must not end the membership of everyone.
            message = N_("The file has no member rows, so no member can be marked as left.")
            self.errors.append(RowError(1, None, message))
            return 0
        missing = [stored.id for stored in self.stored.values()]
        marked = 0
        for chunk in _chunks(missing, 1_000):  # bounded IN lists suit both backends
            statement = (
                update(_MEMBERS)
                .where(_MEMBERS.c.id.in_(chunk), _MEMBERS.c.status == MemberStatus.ACTIVE)
                .values(status=MemberStatus.LEFT, left_on=self.today, updated_at=self.now)
            )
            marked += self.connection.execute(statement).rowcount
        return marked


def _local_today() -> date:
    return datetime.now(UTC).astimezone().date()


def import_members(
    session: Session,
    path_or_stream: CsvSource,
    *,
    actor_id: uuid.UUID | None = None,
    mark_missing_left: bool = False,
    today: date | None = None,
) -> ImportReport:
    """Create or update members from a register CSV, matched by membership number.

    Members are never deleted. A row with status ``left`` gets ``left_on = today`` unless
    a date of leaving is stored already; a row with status ``active`` clears it. With
    ``mark_missing_left``, active members absent from the file are marked as left today.
    Commits one transaction with a ``members:imported`` audit event holding counts only.

    Args:
        session: the unit of work; it is committed or rolled back here.
        path_or_stream: a path, or a text or binary stream (UTF-8, BOM allowed).
        actor_id: the account that started the import, for the audit log.
        mark_missing_left: whether members missing from the file have left.
        today: the date of leaving to record (default: the server's local date).

    Raises:
        ImportRejected: listing every bad row; the database is left unchanged.
    """
    started = time.perf_counter()
    today = today or _local_today()
    with _all_or_nothing(session):
        plan = _MemberImport(session.connection(), today, utcnow())
        with _open_lines(path_or_stream) as lines:
            for line, raw in _records(lines, MEMBER_COLUMNS, plan.errors):
                plan.add(line, raw)
        plan.flush()
        marked_left = plan.mark_missing_left() if mark_missing_left else 0
        plan.check_stored_emails()
        _reject_if_any(plan.errors)
        report = ImportReport(
            plan.created, plan.updated, plan.unchanged, marked_left, plan.total, 0.0
        )
        _record_import(session, "members:imported", actor_id, report)
    _refresh_statistics(session, "members")
    return dataclasses.replace(report, duration_seconds=time.perf_counter() - started)
