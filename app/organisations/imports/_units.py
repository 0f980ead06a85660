"""The unit import: upsert by code, parents in any order, materialised paths."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    Connection,
    String,
    bindparam,
    insert,
    select,
    type_coerce,
    update,
)

from app.core.i18n import N_
from app.organisations.models import (
    ALLOWED_PARENT_LEVELS,
    UnitLevel,
)

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterator

    from sqlalchemy.orm import Session

from app.organisations.imports._common import (
    _UNITS,
    CHUNK_SIZE,
    PLACEMENT_MESSAGES,
    UNIT_COLUMNS,
    CsvSource,
    ImportReport,
    RowError,
    _all_or_nothing,
    _chunks,
    _record_import,
    _reject_if_any,
)
from app.organisations.imports._csv import (
    _open_lines,
    _records,
)
from app.organisations.imports._fields import (
    _echo,
    _level,
    _text,
    _unit_code,
)

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
