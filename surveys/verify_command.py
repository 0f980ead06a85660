"""``stimmwerk verify`` for survey records: offline, without a database.

``stimmwerk verify PATH`` recognises a survey record (``survey.json`` instead of
``manifest.json``) and runs `surveys.verifier`; any other path goes to the election
verifier as before. Exit status 0: verified; 1: a check failed; 2: not a record.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from surveys.verifier import RecordUnreadable, read_record, verify_record


def is_survey_record(path: str | Path) -> bool:
    source = Path(path)
    if source.is_dir():
        return (source / "survey.json").exists()
    try:
        with zipfile.ZipFile(source) as archive:
            return any(n.rpartition("/")[2] == "survey.json" for n in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def verify_survey(path: str | Path, *, out: TextIO, quiet: bool = False) -> int:
    try:
        files = read_record(path)
    except RecordUnreadable as error:
        out.write(f"FAIL record.files: {error}\nNOT A VALID SURVEY RECORD\n")
        return 2
    report = verify_record(files)
    if not quiet:
        out.writelines(f"ok   {name}\n" for name in report.passed)
    out.writelines(f"FAIL {check}: {message}\n" for check, message in report.failures)
    out.write("SURVEY RECORD VERIFIED\n" if report.ok else "SURVEY RECORD NOT VERIFIED\n")
    return 0 if report.ok else 1


def extend_verify(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Let the existing ``verify`` command also take survey records."""
    parser = sub.choices["verify"]
    election_run: Callable[[argparse.Namespace], int] = parser.get_default("run")

    def run(args: argparse.Namespace) -> int:
        if is_survey_record(args.path):
            return verify_survey(args.path, out=sys.stdout, quiet=args.quiet)
        return election_run(args)

    parser.set_defaults(run=run)
    parser.description = (parser.description or "") + " Survey records are recognised too."
