# Copyright 2026 Stimmwerk contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Bulk imports of the organisation tree and the member register from CSV files.

Both imports are all-or-nothing: every row is checked, every problem is collected with
its line number, and the database changes only if the whole file is clean.

The member import is built for a register of 400,000 rows: it streams the file, compares
each row with a hash of the stored values (loaded in one query, no per-row SELECT) and
writes new and changed rows with Core ``executemany`` in chunks, all in one transaction
that is rolled back if any row turns out to be bad.

Messages are fixed English sentences marked with ``N_`` so the UI can translate them;
the column and the offending value travel separately in ``RowError``.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import itertools
import operator
import os
import re
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import IO, TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import (
    Connection,
    String,
    Table,
    bindparam,
    insert,
    select,
    text,
    type_coerce,
    update,
)

from app.core.audit import record_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.i18n import N_
from app.organisations.models import (
    ALLOWED_PARENT_LEVELS,
    Member,
    MemberStatus,
    Unit,
    UnitLevel,
)

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Iterable, Iterator, Sequence

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
_UNIT_CODE = re.compile(r"[A-Za-z0-9._-]{1,32}\Z")
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


# --- Reading CSV --------------------------------------------------------------------------


class _UndecodableLineError(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _decode(binary: Iterable[bytes]) -> Iterator[str]:
    """Decode line by line, so a bad byte is reported with its own line number."""
    for number, raw in enumerate(binary, start=1):
        try:
            yield raw.decode()
        except UnicodeDecodeError:
            raise _UndecodableLineError(number) from None


@contextmanager
def _open_lines(source: CsvSource) -> Iterator[Iterator[str]]:
    """The source's lines as text; streams the caller opened are left open."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as binary:  # noqa: PTH123 - takes str as well as PathLike
            yield _decode(binary)
    elif isinstance(source.read(0), bytes):  # read(0) tells binary from text, reads nothing
        yield _decode(cast("IO[bytes]", source))
    else:
        yield iter(cast("IO[str]", source))


def _column_getter(
    header: list[str], columns: tuple[str, ...], errors: list[RowError]
) -> Callable[[list[str]], tuple[str, ...]] | None:
    """Pick ``columns`` (in this order) out of the file's columns (in any order).

    A header with a missing, unknown or repeated column is rejected. Only known column
    names are echoed: a file without a header has personal data in its first line.
    """
    names = [name.strip().lower() for name in header]
    missing = [name for name in columns if name not in names]
    if missing or sorted(names) != sorted(columns):
        message = N_("The header line does not have the expected columns.")
        value = f"expected: {','.join(columns)}"
        if missing:
            value += f"; missing: {','.join(missing)}"
        errors.append(RowError(1, None, message, value))
        return None
    getter = operator.itemgetter(*(names.index(name) for name in columns))
    return cast("Callable[[list[str]], tuple[str, ...]]", getter)


def _records(
    lines: Iterator[str], columns: tuple[str, ...], errors: list[RowError]
) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Yield ``(line, fields in columns order)`` for each non-blank data row.

    The delimiter is ``;`` when the header holds more semicolons than commas (German
    spreadsheet exports), else ``,``. Shape and encoding problems become ``RowError``s.
    """
    line = 1
    try:
        header_line = next(lines, "").removeprefix("\ufeff")  # the BOM Excel writes
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        reader = csv.reader(itertools.chain([header_line], lines), delimiter=delimiter, strict=True)
        header = next(reader, None)
        if not header or not any(header):
            errors.append(RowError(1, None, N_("The file is empty.")))
            return
        getter = _column_getter(header, columns, errors)
        if getter is None:
            return
        width = len(header)
        line = reader.line_num + 1
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # blank lines and spreadsheet filler rows like ";;;;"
            if len(row) < width or any(row[width:]):  # trailing empty fields are harmless
                message = N_("The row has the wrong number of fields.")
                errors.append(RowError(start, None, message, f"{len(row)}/{width}"))
                continue
            yield start, getter(row)
    except _UndecodableLineError as exc:
        errors.append(RowError(exc.line, None, N_("The file is not valid UTF-8 from here on.")))
    except csv.Error as exc:
        errors.append(RowError(line, None, N_("The line is not valid CSV."), str(exc)))


# --- Checking fields ----------------------------------------------------------------------
# Each checker returns the cleaned value and appends a RowError if the input is bad (the
# returned placeholder is then never written). No exceptions: cheap on 400,000 rows.


def _echo(value: str) -> str | None:
    return (value if len(value) <= _MAX_ECHO else value[:_MAX_ECHO] + "…") or None


def _text(
    errors: list[RowError], line: int, name: str, raw: str, max_length: int, *, echo: bool
) -> str:
    value = raw.strip()
    if not value:
        errors.append(RowError(line, name, N_("This field is required.")))
    elif len(value) > max_length:
        shown = _echo(value) if echo else None
        errors.append(RowError(line, name, N_("The value is too long."), shown))
    return value


def _unit_code(errors: list[RowError], line: int, raw: str) -> str | None:
    code = raw.strip()
    if _UNIT_CODE.match(code):
        return code
    if not code:
        errors.append(RowError(line, "code", N_("This field is required.")))
    else:
        message = N_("A code may only contain letters, digits, '.', '_' and '-' (at most 32).")
        errors.append(RowError(line, "code", message, _echo(code)))
    return None


def _level(errors: list[RowError], line: int, raw: str) -> UnitLevel | None:
    level = LEVEL_ALIASES.get(raw.strip().lower())
    if level is None:
        errors.append(RowError(line, "level", N_("The level is not known."), _echo(raw.strip())))
    return level


def _membership_number(errors: list[RowError], line: int, raw: str) -> str | None:
    number = raw.strip()
    if _MEMBERSHIP_NUMBER.match(number):
        return number
    if not number:
        errors.append(RowError(line, "membership_number", N_("This field is required.")))
    else:
        message = N_("A membership number may only contain letters, digits and '-' (at most 32).")
        errors.append(RowError(line, "membership_number", message, _echo(number)))
    return None


@functools.lru_cache(maxsize=4096)
def _domain_is_valid(domain: str) -> bool:
    """email-validator's verdict on a domain; a register uses few domains, so cache it."""
    try:
        validate_email(f"x@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _email(errors: list[RowError], line: int, raw: str) -> str | None:
    """The lower-cased address, or ``None`` if empty; syntax only, no DNS lookups.

    email-validator takes ~35 µs an address (14 s for the register), so plain ASCII
    addresses take a fast path: the local part is matched with the library's own dot-atom
    pattern and the domain is judged by the library once per distinct domain. Anything
    else (non-ASCII, quoted or broken addresses) goes through the library in full.
    """
    address = raw.strip().lower()
    if not address:
        return None
    local, at, domain = address.rpartition("@")
    fast = at and address.isascii() and len(address) <= _MAX_EMAIL
    if fast and _ASCII_LOCAL_PART.match(local) and _domain_is_valid(domain):
        return address
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors.append(RowError(line, "email", N_("The e-mail address is not valid.")))
    return None


def _birth_year(errors: list[RowError], line: int, raw: str, this_year: int) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if len(text) == _YEAR_DIGITS and text.isascii() and text.isdigit():
        year = int(text)
        if _FIRST_BIRTH_YEAR <= year <= this_year:
            return year
    message = N_("The birth year must be a four-digit year from 1900 to the current year.")
    errors.append(RowError(line, "birth_year", message))
    return None


@functools.lru_cache(maxsize=65536)
def _parse_date(text: str) -> date | None:
    """ISO ``YYYY-MM-DD`` or German ``DD.MM.YYYY``; cached, as a register repeats dates."""
    if iso := _ISO_DATE.match(text):
        year, month, day = iso.groups()
    elif german := _GERMAN_DATE.match(text):
        day, month, year = german.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:  # e.g. 31.02.2020
        return None


def _joined_on(errors: list[RowError], line: int, raw: str) -> date | None:
    text = raw.strip()
    parsed = _parse_date(text) if text else None
    if text and parsed is None:
        message = N_("The date is not valid; use YYYY-MM-DD or DD.MM.YYYY.")
        errors.append(RowError(line, "joined_on", message))
    return parsed


def _status(errors: list[RowError], line: int, raw: str) -> str:
    status = STATUS_ALIASES.get(raw.strip().lower())
    if status is None:
        message = N_("The status is not known; use active or left (aktiv, ausgetreten).")
        errors.append(RowError(line, "status", message, _echo(raw.strip())))
        return MemberStatus.ACTIVE.value
    return status.value


def _postal_vote(errors: list[RowError], line: int, raw: str) -> bool:
    flag = POSTAL_VOTE_VALUES.get(raw.strip().lower())
    if flag is None:
        message = N_("Use 1/0, true/false, ja/nein, yes/no or leave the postal vote empty.")
        errors.append(RowError(line, "postal_vote", message, _echo(raw.strip())))
        return False
    return flag


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


# --- Units --------------------------------------------------------------------------------


class _UnitRow(NamedTuple):
    line: int
    code: str
    name: str
    level: UnitLevel | None  # None: the level was bad (and reported)
    parent_code: str | None


class _StoredUnit(NamedTuple):
    id: int
    name: str
    level: str
    parent_id: int | None
    path: str
    depth: int


_UNIT_VALUES = _StoredUnit._fields[1:]  # the columns an import may update


def _parse_unit_row(errors: list[RowError], line: int, raw: tuple[str, ...]) -> _UnitRow | None:
    """The row, or ``None`` if it has no usable code and so cannot join the tree checks."""
    raw_code, raw_name, raw_level, raw_parent = raw
    code = _unit_code(errors, line, raw_code)
    name = _text(errors, line, "name", raw_name, 200, echo=True)
    level = _level(errors, line, raw_level)
    return None if code is None else _UnitRow(line, code, name, level, raw_parent.strip() or None)


def _load_units(connection: Connection) -> dict[str, _StoredUnit]:
    columns = [
        type_coerce(_UNITS.c.level, String()) if name == "level" else _UNITS.c[name]
        for name in _StoredUnit._fields
    ]
    query = select(_UNITS.c.code, *columns)
    return {code: _StoredUnit(*rest) for code, *rest in connection.execute(query)}


@dataclasses.dataclass
class _UnitTree:
    """The tree as it would be after the import: the stored units overlaid with the file."""

    stored: dict[str, _StoredUnit]
    errors: list[RowError]
    parent_of: dict[str, str | None] = dataclasses.field(default_factory=dict)
    level_of: dict[str, UnitLevel | None] = dataclasses.field(default_factory=dict)
    by_code: dict[str, _UnitRow] = dataclasses.field(default_factory=dict)
    repeated: set[str] = dataclasses.field(default_factory=set)
    stored_children: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def build(self, rows: list[_UnitRow]) -> None:
        code_of = {unit.id: code for code, unit in self.stored.items()}
        for code, unit in self.stored.items():
            parent = code_of.get(unit.parent_id) if unit.parent_id else None
            self.parent_of[code] = parent
            self.level_of[code] = UnitLevel(unit.level)
            if parent is not None:
                self.stored_children.setdefault(parent, []).append(code)
        for row in rows:
            first = self.by_code.setdefault(row.code, row)
            if first is not row:
                self._duplicate(first, row)
                continue
            self.parent_of[row.code] = row.parent_code
            self.level_of[row.code] = row.level

    def _duplicate(self, first: _UnitRow, row: _UnitRow) -> None:
        message = N_("This code appears more than once in the file.")
        if first.code not in self.repeated:  # report the first line once
            self.repeated.add(first.code)
            self.errors.append(RowError(first.line, "code", message, first.code))
        self.errors.append(RowError(row.line, "code", message, row.code))

    def check(self) -> None:
        for row in self.by_code.values():
            self._check_parent(row)
            self._check_stored_children(row)
        self._check_cycles()

    def _check_parent(self, row: _UnitRow) -> None:
        parent = row.parent_code
        if parent is not None and parent not in self.parent_of:
            message = N_("The parent unit exists neither in the file nor in the database.")
            self.errors.append(RowError(row.line, "parent_code", message, _echo(parent)))
            return
        parent_level = None if parent is None else self.level_of[parent]
        if row.level is None or (parent is not None and parent_level is None):
            return  # a bad level was reported already; no follow-on errors
        if parent_level not in ALLOWED_PARENT_LEVELS[row.level]:
            message = PLACEMENT_MESSAGES[row.level]
            self.errors.append(RowError(row.line, "parent_code", message, _echo(parent or "")))

    def _check_stored_children(self, row: _UnitRow) -> None:
        """A new level must still suit the stored children that the file leaves in place."""
        stored = self.stored.get(row.code)
        if row.level is None or stored is None or row.level == stored.level:
            return
        for code in self.stored_children.get(row.code, ()):
            child_level = UnitLevel(self.stored[code].level)
            if code not in self.by_code and row.level not in ALLOWED_PARENT_LEVELS[child_level]:
                message = N_("Existing units below this unit do not fit the new level.")
                self.errors.append(RowError(row.line, "level", message, row.level.value))
                return

    def _check_cycles(self) -> None:
        acyclic: set[str] = set()
        for start in self.by_code:
            chain: list[str] = []
            code: str | None = start
            while code is not None and code not in acyclic and code in self.parent_of:
                if code in chain:
                    self._report_cycle(chain[chain.index(code) :])
                    break
                chain.append(code)
                code = self.parent_of[code]
            acyclic.update(chain)

    def _report_cycle(self, cycle: list[str]) -> None:
        for code in cycle:
            row = self.by_code.get(code)
            if row is not None:
                message = N_("This unit would become its own ancestor (a cycle of parents).")
                value = _echo(" → ".join([*cycle, cycle[0]]))
                self.errors.append(RowError(row.line, "parent_code", message, value))


def _materialised_paths(
    parent_of: dict[str, str | None], ids: dict[str, int]
) -> dict[str, tuple[str, int]]:
    """``code -> (path, depth)`` for the whole acyclic tree, each ancestor walked once."""
    paths: dict[str, tuple[str, int]] = {}
    for start in parent_of:
        chain: list[str] = []
        code: str | None = start
        while code is not None and code not in paths:
            chain.append(code)
            code = parent_of[code]
            if len(chain) > len(parent_of):
                raise RuntimeError("The stored unit tree contains a cycle.")
        path, depth = paths[code] if code is not None else ("/", -1)
        for unit in reversed(chain):
            path, depth = f"{path}{ids[unit]}/", depth + 1
            paths[unit] = (path, depth)
    return paths


def _insert_new_units(connection: Connection, rows: list[_UnitRow]) -> dict[str, int]:
    """Insert units at a placeholder position and return their new ids by code.

    The ids are needed before any path can be built, and a parent may be new as well,
    so parent, path and depth are filled in by the update pass that follows.
    """
    if not rows:
        return {}
    placeholders = [
        {"code": row.code, "name": row.name, "level": row.level, "path": "", "depth": 0}
        for row in rows
    ]
    # insertmanyvalues returns the ids in parameter order on SQLite and PostgreSQL alike.
    statement = insert(_UNITS).returning(_UNITS.c.id, sort_by_parameter_order=True)
    new_ids = connection.execute(statement, placeholders).scalars()
    return dict(zip((row.code for row in rows), new_ids, strict=True))


def _target_units(tree: _UnitTree, ids: dict[str, int]) -> Iterator[tuple[str, _StoredUnit]]:
    """Every unit of the tree as it should be stored after the import."""
    for code, (path, depth) in _materialised_paths(tree.parent_of, ids).items():
        row = tree.by_code.get(code)
        name, level = (row.name, str(row.level)) if row else tree.stored[code][1:3]
        parent_code = tree.parent_of[code]
        parent_id = None if parent_code is None else ids[parent_code]
        yield code, _StoredUnit(ids[code], name, level, parent_id, path, depth)


def _write_units(connection: Connection, tree: _UnitTree) -> tuple[int, int, int]:
    """Insert new units, update every unit whose stored values differ; return the counts."""
    new_rows = [row for row in tree.by_code.values() if row.code not in tree.stored]
    ids = {code: unit.id for code, unit in tree.stored.items()}
    ids.update(_insert_new_units(connection, new_rows))
    changes: list[dict[str, Any]] = []
    updated = 0
    for code, target in _target_units(tree, ids):
        stored = tree.stored.get(code)
        if target != stored:
            changes.append(dict(zip(_UNIT_VALUES, target[1:], strict=True), unit_id=target.id))
            # Units outside the file may move along with an ancestor; they are not counted.
            updated += stored is not None and code in tree.by_code
    statement = (
        update(_UNITS)
        .where(_UNITS.c.id == bindparam("unit_id"))
        .values({name: bindparam(name) for name in _UNIT_VALUES})
    )
    for chunk in _chunks(changes, CHUNK_SIZE):
        connection.execute(statement, list(chunk))
    return len(new_rows), updated, len(tree.by_code) - len(new_rows) - updated


def import_units(
    session: Session, path_or_stream: CsvSource, *, actor_id: uuid.UUID | None = None
) -> ImportReport:
    """Create or update units from a CSV with the header ``code,name,level,parent_code``.

    Rows are matched by code; units absent from the file are left alone (never deleted).
    A parent may come later in the file than its children, or exist only in the database.
    When a unit moves, the paths of all its descendants are recomputed. Commits one
    transaction with a ``units:imported`` audit event holding counts only.

    Args:
        session: the unit of work; it is committed or rolled back here.
        path_or_stream: a path, or a text or binary stream (UTF-8, BOM allowed).
        actor_id: the account that started the import, for the audit log.

    Raises:
        ImportRejected: listing every bad row; the database is left unchanged.
    """
    started = time.perf_counter()
    errors: list[RowError] = []
    with _all_or_nothing(session):
        with _open_lines(path_or_stream) as lines:
            parsed = [
                _parse_unit_row(errors, line, raw)
                for line, raw in _records(lines, UNIT_COLUMNS, errors)
            ]
        connection = session.connection()
        tree = _UnitTree(_load_units(connection), errors)
        tree.build([row for row in parsed if row is not None])
        tree.check()
        _reject_if_any(errors)
        created, updated, unchanged = _write_units(connection, tree)
        report = ImportReport(created, updated, unchanged, 0, len(parsed), 0.0)
        _record_import(session, "units:imported", actor_id, report)
    return dataclasses.replace(report, duration_seconds=time.perf_counter() - started)


# --- Members ------------------------------------------------------------------------------

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
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.created = self.updated = self.unchanged = self.total = 0

    def add(self, line: int, raw: tuple[str, ...]) -> None:
        self.total += 1
        before = len(self.errors)
        row = self._parse(line, raw)
        if row.membership_number is not None:
            self._check_unique(line, row.membership_number)
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
        _reject_if_any(plan.errors)
        report = ImportReport(
            plan.created, plan.updated, plan.unchanged, marked_left, plan.total, 0.0
        )
        _record_import(session, "members:imported", actor_id, report)
    _refresh_statistics(session, "members")
    return dataclasses.replace(report, duration_seconds=time.perf_counter() - started)
