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

from app.organisations.imports._common import (
    MEMBER_COLUMNS,
    PLACEMENT_MESSAGES,
    UNIT_COLUMNS,
    CsvSource,
    ImportRejected,
    ImportReport,
    RowError,
)
from app.organisations.imports._members import import_members
from app.organisations.imports._units import import_units

__all__ = [
    "MEMBER_COLUMNS",
    "PLACEMENT_MESSAGES",
    "UNIT_COLUMNS",
    "CsvSource",
    "ImportRejected",
    "ImportReport",
    "RowError",
    "import_members",
    "import_units",
]
