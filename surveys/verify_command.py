"""``stimmwerk verify`` for survey records: offline, without a database.

``stimmwerk verify PATH`` recognises a survey record (``survey.json`` instead of
``manifest.json``) and runs `surveys.verifier`; any other path goes to the election
verifier as before. ``--receipt FILE`` (survey records only, repeatable) then checks a
member's saved receipt against the record (`surveys.receipt_check`, record §10).
Exit status 0: verified; 1: a check failed; 2: not a record, or a receipt that is not
JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from surveys.receipt_check import verify_receipt
from surveys.verifier import RecordUnreadable, Report, read_record, verify_record


def is_survey_record(path: str | Path) -> bool:
    source = Path(path)
    if source.is_dir():
        return (source / "survey.json").exists()
    try:
        with zipfile.ZipFile(source) as archive:
            return any(n.rpartition("/")[2] == "survey.json" for n in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def verify_survey(
    path: str | Path,
    *,
    out: TextIO,
    quiet: bool = False,
    receipts: list[str] | None = None,
) -> int:
    try:
        files = read_record(path)
        saved = [(name, _read_receipt(name)) for name in receipts or []]
    except RecordUnreadable as error:
        out.write(f"FAIL record.files: {error}\nNOT A VALID SURVEY RECORD\n")
        return 2
    except (OSError, ValueError) as error:
        out.write(f"FAIL receipt.format: {error}\nNOT A RECEIPT\n")
        return 2
    report = verify_record(files)
    _print(report, out, quiet=quiet)
    out.write("SURVEY RECORD VERIFIED\n" if report.ok else "SURVEY RECORD NOT VERIFIED\n")
    ok = report.ok
    for name, receipt in saved:
        checked = verify_receipt(files, receipt)
        _print(checked, out, quiet=quiet)
        out.write(f"RECEIPT {'VERIFIED' if checked.ok else 'NOT VERIFIED'}: {name}\n")
        ok = ok and checked.ok
    return 0 if ok else 1


def _print(report: Report, out: TextIO, *, quiet: bool) -> None:
    if not quiet:
        out.writelines(f"ok   {name}\n" for name in report.passed)
    out.writelines(f"FAIL {check}: {message}\n" for check, message in report.failures)


def _read_receipt(name: str) -> object:
    """A saved receipt: the JSON the receipt look-up gave (ValueError if not JSON)."""
    try:
        return json.loads(Path(name).read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{name} is not a JSON receipt: {error}") from error


def extend_verify(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Let the existing ``verify`` command also take survey records."""
    parser = sub.choices["verify"]
    election_run: Callable[[argparse.Namespace], int] = parser.get_default("run")

    parser.add_argument(
        "--receipt",
        action="append",
        metavar="FILE",
        help="survey records: also check a member's saved receipt (JSON) against the "
        "record; may be given more than once",
    )

    def run(args: argparse.Namespace) -> int:
        if is_survey_record(args.path):
            return verify_survey(args.path, out=sys.stdout, quiet=args.quiet, receipts=args.receipt)
        if args.receipt:
            sys.stderr.write("--receipt is for survey records only\n")
            return 2
        return election_run(args)

    parser.set_defaults(run=run)
    parser.description = (parser.description or "") + " Survey records are recognised too."
