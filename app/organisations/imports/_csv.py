"""Reading CSV files: encoding, delimiter, header, rows with line numbers."""

from __future__ import annotations

import csv
import itertools
import operator
import os
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, cast

from app.core.i18n import N_

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

from app.organisations.imports._common import (
    CsvSource,
    RowError,
)

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
