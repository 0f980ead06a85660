"""Where the record's files come from: a directory, or a zip of one (record format §0).

The verifier only ever *reads* files as binary streams, one at a time or two side by
side (the roll next to the issuance list, the ballots next to the checkpoints), so a
zip is read in place without unpacking it.

A record must have one reading only (§0 "Layout"): a zip with two members of one name
(``unzip`` shows the first, ``zipfile`` reads the last), with the files both at the top
and in a folder, with unknown members or with names that climb out of the archive could
show an auditor one result and the verifier another. Such a layout is not refused here
(the path *is* a zip) but reported by `RecordSource.layout_problem`, which the first
check, ``record.files``, turns into a named failure.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, Self

from ballots.record._errors import NotARecordError, RecordError

if TYPE_CHECKING:
    from types import TracebackType

RECORD_FILES: Final = (
    "manifest.json",
    "keys.json",
    "roll.json",
    "issuance.json",
    "ballots.jsonl",
    "checkpoints.jsonl",
    "tally.json",
)


class RecordSource:
    """A record directory or zip; `open` gives a binary stream of one of its files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        self.layout_problem: str | None = None
        """Why the record's file layout is ambiguous (§0), or None if it is not."""
        if path.is_dir():
            self.layout_problem = _directory_problem(path)
            return
        if not path.is_file() or not zipfile.is_zipfile(path):
            raise NotARecordError(f"{path} is neither a record directory nor a zip of one")
        self._zip = zipfile.ZipFile(path)
        self._prefix, self.layout_problem = _zip_layout(self._zip)

    def open(self, name: str) -> IO[bytes]:
        """Open the record file ``name`` for reading; RecordError if it is missing."""
        try:
            if self._zip is not None:
                return self._zip.open(self._prefix + name)
            return (self.path / name).open("rb")
        except (KeyError, FileNotFoundError, IsADirectoryError) as missing:
            raise RecordError(name, None, "", "the file is missing from the record") from missing

    def size(self, name: str) -> int | None:
        """The file's size in bytes (uncompressed), or None if it is missing."""
        try:
            if self._zip is not None:
                return self._zip.getinfo(self._prefix + name).file_size
            return (self.path / name).stat().st_size
        except (KeyError, OSError):
            return None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _directory_problem(path: Path) -> str | None:
    """Unknown entries in a record directory (hidden dot-files are ignored)."""
    unknown = sorted(
        entry.name
        for entry in path.iterdir()
        if entry.name not in RECORD_FILES and not entry.name.startswith(".")
    )
    if unknown:
        return f"unknown entries in the record directory: {', '.join(unknown)}"
    return None


_UNSAFE_NAME = re.compile(r"(^/)|(^[A-Za-z]:)|\\|(^|/)\.{1,2}(/|$)|//|[\x00-\x1f]")


def _zip_layout(archive: zipfile.ZipFile) -> tuple[str, str | None]:
    """The folder prefix of the record files, and what makes the layout ambiguous."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    unsafe = sorted({name for name in names if _UNSAFE_NAME.search(name)})
    if unsafe:
        return "", f"member names that leave the archive or are not plain paths: {unsafe}"
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        return "", f"the zip holds more than one member named {', '.join(repeated)}"
    files = [info.filename for info in infos if not info.is_dir()]
    top = sorted(name for name in files if "/" not in name)
    folders = sorted({name.split("/", 1)[0] for name in files if "/" in name})
    if top and folders:
        return "", (
            "the record files are both at the top of the zip and in the folder(s) "
            f"{', '.join(folders)}: one reading only is allowed"
        )
    if len(folders) > 1:
        return "", f"the zip holds more than one folder: {', '.join(folders)}"
    prefix = folders[0] + "/" if folders else ""
    unknown = sorted(
        name for name in names if name != prefix and name.removeprefix(prefix) not in RECORD_FILES
    )
    if unknown:
        return prefix, f"unknown members in the zip: {', '.join(unknown)}"
    return prefix, None


def open_record(path: str | Path) -> RecordSource:
    """Open a record directory or zip (raises `NotARecordError` for anything else)."""
    return RecordSource(Path(path))
