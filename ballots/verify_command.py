"""``stimmwerk verify PATH``: the auditor's verifier on the command line.

Imports only ``ballots.verifier`` (which imports only ``ballots.record`` and ``crypto``):
no database, no network, no settings. ``app/cli.py`` registers it via `add_commands`.
"""

from __future__ import annotations

import argparse
import os
import sys

from ballots.verifier import verify_record


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("needs at least 1 worker")
    return value


def cmd_verify(args: argparse.Namespace) -> int:
    """Run every check of docs/election-record.md §8 on the record at ``args.path``."""
    return verify_record(args.path, workers=args.workers, out=sys.stdout, quiet=args.quiet)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``verify`` on the ``stimmwerk`` command line."""
    verify = sub.add_parser(
        "verify",
        help="verify a published election record (directory or zip), offline",
        description=(
            "Check every signature, proof, count and hash of an election record "
            "(docs/verifier.md). Exit status 0: verified; 1: a check failed; "
            "2: not a record."
        ),
    )
    verify.add_argument("path", help="the record directory or a zip of it")
    verify.add_argument(
        "--workers",
        type=_positive,
        default=os.cpu_count() or 1,
        help="processes checking ballots in parallel (default: one per core)",
    )
    verify.add_argument("--quiet", action="store_true", help="print only failures and the verdict")
    verify.set_defaults(run=cmd_verify)
