"""Where the record's files come from: a directory, or a zip of one (record format §0).

The verifier only ever *reads* files as binary streams, one at a time or two side by
side (the roll next to the issuance list, the ballots next to the checkpoints), so a
zip is read in place without unpacking it.
"""

from __future__ import annotations

import zipfile
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
        if path.is_dir():
            return
        if not path.is_file() or not zipfile.is_zipfile(path):
            raise NotARecordError(f"{path} is neither a record directory nor a zip of one")
        self._zip = zipfile.ZipFile(path)
        self._prefix = _zip_prefix(self._zip)

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


def _zip_prefix(archive: zipfile.ZipFile) -> str:
    """``""`` if the files are at the top level, else the one folder holding them all."""
    names = {info.filename for info in archive.infolist() if not info.is_dir()}
    if "manifest.json" in names:
        return ""
    folders = {name.split("/", 1)[0] for name in names if "/" in name}
    if len(folders) == 1:
        folder = folders.pop() + "/"
        if folder + "manifest.json" in names:
            return folder
    return ""


def open_record(path: str | Path) -> RecordSource:
    """Open a record directory or zip (raises `NotARecordError` for anything else)."""
    return RecordSource(Path(path))
