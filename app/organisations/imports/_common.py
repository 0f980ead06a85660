"""Types, errors, reports and transaction helpers shared by both imports."""

from __future__ import annotations

import dataclasses
import operator
import os
import re
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, TypeVar, cast

from sqlalchemy import (
    Table,
    text,
)

from app.core.audit import record_event
from app.core.errors import DomainError
from app.core.i18n import N_
from app.organisations.models import (
    Member,
    MemberStatus,
    Unit,
    UnitLevel,
)

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterator, Sequence

    from sqlalchemy.orm import Session

CsvSource = str | os.PathLike[str] | IO[str] | IO[bytes]
"""A file path, or an open text or binary stream (e.g. an upload)."""

UNIT_COLUMNS = ("code", "name", "level", "parent_code")
MEMBER_COLUMNS = (
    "membership_number",
    "given_name",
    "family_name",
    "email",
    "birth_year",
    "unit_code",
    "joined_on",
    "status",
    "postal_vote",
)

# Canonical values plus the German names used in party registers (compared lower-case).
LEVEL_ALIASES: dict[str, UnitLevel] = {
    **{level.value: level for level in UnitLevel},
    "bund": UnitLevel.FEDERAL,
    "landesverband": UnitLevel.STATE,
    "bezirk": UnitLevel.STATE,
    "unterbezirk": UnitLevel.SUBDISTRICT,
    "kreisverband": UnitLevel.SUBDISTRICT,
    "ortsverein": UnitLevel.LOCAL,
    "ag": UnitLevel.WORKING_GROUP,
}
STATUS_ALIASES: dict[str, MemberStatus] = {
    "active": MemberStatus.ACTIVE,
    "aktiv": MemberStatus.ACTIVE,
    "left": MemberStatus.LEFT,
    "ausgetreten": MemberStatus.LEFT,
}
POSTAL_VOTE_VALUES: dict[str, bool] = {
    "": False,
    **dict.fromkeys(("1", "true", "ja", "yes"), True),
    **dict.fromkeys(("0", "false", "nein", "no"), False),
}
# Where a unit of each level may hang (ALLOWED_PARENT_LEVELS), as one message per level.
PLACEMENT_MESSAGES: dict[UnitLevel, str] = {
    UnitLevel.FEDERAL: N_("A federal unit cannot have a parent unit."),
    UnitLevel.STATE: N_("A state unit must be placed below a federal unit."),
    UnitLevel.SUBDISTRICT: N_("A subdistrict must be placed below a state unit."),
    UnitLevel.LOCAL: N_("A local unit must be placed below a subdistrict."),
    UnitLevel.WORKING_GROUP: N_(
        "A working group must be placed below a federal, state, subdistrict or local unit."
    ),
}

CHUNK_SIZE = 20_000  # rows per executemany: fewer pipeline syncs on psycopg, ~20 MB of rows
# A code is a URL path segment (/units/<code>): it starts with a letter or digit, so
# "." and ".." (which browsers and proxies resolve away) can never be one.
_UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}\Z")
_MEMBERSHIP_NUMBER = re.compile(r"[A-Za-z0-9-]{1,32}\Z")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})\Z")
# The RFC 5322 dot-atom local part in plain ASCII: the very pattern email-validator applies
# (its rfc_constants.DOT_ATOM_TEXT), so the fast path accepts nothing the library refuses.
_ASCII_LOCAL_PART = re.compile(
    r"[A-Za-z0-9_!#$%&'*+/=?^`{|}~-]+(?:\.[A-Za-z0-9_!#$%&'*+/=?^`{|}~-]+)*\Z"
)
_MAX_EMAIL = 254  # email-validator's limit (RFC 5321 path length minus the brackets)
_MAX_ECHO = 64  # longest value repeated in a RowError
_FIRST_BIRTH_YEAR = 1900
_YEAR_DIGITS = 4
_UNITS = cast("Table", Unit.__table__)
_MEMBERS = cast("Table", Member.__table__)
_T = TypeVar("_T")


@dataclasses.dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row; ``line`` counts physical lines, the header is line 1.

    ``message`` is a fixed sentence (a translation key). ``value`` repeats the input only
    for non-personal columns (codes, levels, membership numbers, flags) and is ``None``
    for names, e-mail addresses, birth years and dates.
    """

    line: int
    field: str | None
    message: str
    value: str | None = None


class ImportRejected(DomainError):
    """The file had at least one bad row; nothing was written. ``errors`` lists them all."""

    message = N_("The file was rejected with {count} problem(s); nothing was imported.")

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = sorted(errors, key=operator.attrgetter("line"))
        super().__init__(count=len(self.errors))


@dataclasses.dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did. ``updated`` counts rows of the file whose stored values changed
    (for units also a new path because an ancestor moved); ``total`` counts data rows."""

    created: int
    updated: int
    unchanged: int
    marked_left: int
    total: int
    duration_seconds: float


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _refresh_statistics(session: Session, table: str) -> None:
    """Let the query planner see the new data at once instead of at the next autovacuum.

    After a bulk import PostgreSQL still plans with the old (often empty) statistics;
    SQLite's ANALYZE likewise feeds its planner. Cheap next to the import itself.
    """
    session.execute(text(f"ANALYZE {table}"))
    session.commit()


@contextmanager
def _all_or_nothing(session: Session) -> Iterator[None]:
    """Commit the block's work as one transaction, or roll all of it back if it raises."""
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()


def _record_import(
    session: Session, action: str, actor_id: uuid.UUID | None, report: ImportReport
) -> None:
    """The audit event, in the import's transaction: counts only, never personal data."""
    record_event(
        session,
        action,
        actor_id=actor_id,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        marked_left=report.marked_left,
        total=report.total,
    )


def _reject_if_any(errors: list[RowError]) -> None:
    if errors:
        raise ImportRejected(errors)
