"""``stimmwerk check-audit FILE``: check an opened ballot from the vote page, offline.

No database and no settings: only ``ballots.audit_check`` (the Python client code, not
the browser's). ``--client-data`` takes the election's public data from a file or URL
(``/api/elections/{id}/client-data``) instead of the copy in the check data.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

from ballots.audit_check import check_audit, describe

_TIMEOUT_SECONDS = 20


def _load_json(source: str) -> Any:
    if source.startswith(("https://", "http://")):
        request = urllib.request.Request(source, headers={"accept": "application/json"})  # noqa: S310 - scheme checked above
        with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as answer:  # noqa: S310
            return json.loads(answer.read())
    return json.loads(Path(source).read_text(encoding="utf-8"))


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def cmd_check_audit(args: argparse.Namespace) -> int:
    """Exit 0: the opened ballot checks; 1: it does not; 2: unreadable input."""
    try:
        document = _load_json(args.file)
        client_data = _load_json(args.client_data) if args.client_data else None
    except (OSError, ValueError) as error:
        sys.stderr.write(f"error: cannot read the input: {error}\n")
        return 2
    outcome = check_audit(document, client_data)
    if not outcome.ok:
        _say("FAILED: the opened ballot does not check.")
        for problem in outcome.problems:
            _say(f"  - {problem}")
        _say("Do not vote with the device that made it; tell the election commission.")
        return 1
    _say(f"OK: the encrypted ballot {outcome.ballot_hash} contains exactly:")
    _say("\n".join(describe(outcome)))
    _say("Compare this with what you chose.")
    if client_data is None:
        _say(
            "Note: the election's public key was taken from the file itself. Check against "
            "the server's copy with --client-data URL, or compare the election fingerprint"
        )
    if outcome.fingerprint:
        _say(f"Election fingerprint: {outcome.fingerprint}")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``check-audit`` on the ``stimmwerk`` command line."""
    check = sub.add_parser(
        "check-audit",
        help="check an opened ballot (the check data of 'Stimmzettel prüfen'), offline",
        description=(
            "Re-encrypt every option of an opened ballot with its revealed numbers and "
            "compare (docs/browser-client.md). Exit status 0: it checks; 1: it does not; "
            "2: the input cannot be read."
        ),
    )
    check.add_argument("file", help="the check data (JSON) saved on the vote page")
    check.add_argument(
        "--client-data",
        help="the election's public data: a file or the URL /api/elections/<id>/client-data",
    )
    check.set_defaults(run=cmd_check_audit)
