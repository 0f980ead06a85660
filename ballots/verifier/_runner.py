"""Runs the named checks of record format §8 in order and reports each one.

The runner stops at the first failure (the checks after it are reported as skipped),
prints every check with PASS/WARN/FAIL/SKIP and what it counted, names the first bad
item (file, line, field), and returns the exit status: 0 all passed (a version-2
record passes with warnings naming what it lacks), 1 a check failed, 2 the path is not
a record (docs/verifier.md).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Final, TextIO

from ballots.record import BALLOTS_FILE, NotARecordError, RecordError, open_record
from ballots.verifier import _setup_checks as setup
from ballots.verifier import _tally_checks as tally
from ballots.verifier._ballot_checks import BallotRules, QuestionShape
from ballots.verifier._ballot_pass import run_ballot_pass
from ballots.verifier._outcome import (
    CHECKS,
    CheckFailed,
    CheckResult,
    Failure,
    Status,
    failed,
    passed,
    skipped,
)
from ballots.verifier._state import State
from crypto.checkpoints import NoteVerifier
from crypto.signing import Ed25519PublicKey

Check = Callable[[State], CheckResult]
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_NOT_A_RECORD: Final = 2
SMALL_BOARD_BYTES: Final = 256 * 1024
"""Below this, ballots are checked in-process: starting workers would cost more."""

_BEFORE_PASS: Final[tuple[tuple[str, Check], ...]] = (
    ("record.files", setup.check_record_files),
    ("manifest.hash", setup.check_manifest_hash),
    ("keys.fingerprint", setup.check_fingerprint),
    ("keys.issuer", setup.check_issuer),
    ("keys.trustee_proofs", setup.check_trustee_proofs),
    ("keys.joint_key", setup.check_joint_key),
    ("roll.commitment", setup.check_roll_commitment),
    ("roll.counts", setup.check_roll_counts),
    ("issuance.subset", setup.check_issuance_subset),
)
_AFTER_PASS: Final[tuple[tuple[str, Check], ...]] = (
    ("tally.aggregate", tally.check_aggregate),
    ("tally.decryption_proofs", tally.check_decryption_proofs),
    ("tally.decryption", tally.check_decryption),
    ("tally.result", tally.check_result),
    ("tally.quorum", tally.check_quorum),
    ("tally.statement", tally.check_statement),
    ("tally.postal_signatures", tally.check_postal_signatures),
)
# The checks decided by the streaming pass over ballots.jsonl and checkpoints.jsonl: the
# run of CHECKS from the ballot format to the final board root.
_PASS_CHECKS: Final = CHECKS[CHECKS.index("ballots.format") : CHECKS.index("board.final_root") + 1]


def run_check(name: str, check: Check, state: State) -> CheckResult:
    """Run one check; a RecordError or CheckFailed becomes its FAIL."""
    try:
        return check(state)
    except CheckFailed as stop:
        return failed(name, stop.failure)
    except RecordError as error:
        return failed(name, Failure.from_error(error))


def _rules(state: State) -> BallotRules:
    manifest, keys = state.need_manifest(), state.need_keys()
    shapes = tuple(
        QuestionShape(q.id, len(q.options), q.min_selections, q.max_selections)
        for q in manifest.questions
    )
    return BallotRules(
        manifest.election_id,
        state.manifest_hash,
        shapes,
        keys.joint_public_key,
        keys.issuer.public_key_spki,
    )


def _pass_successes(state: State) -> dict[str, CheckResult]:
    board = state.need_board()
    count = board.ballots
    proofs = sum(len(q.options) + 1 for q in state.need_manifest().questions) * count
    details = {
        "ballots.format": f"{count} ballots",
        "ballots.credential_signature": f"{count} credentials",
        "ballots.signature": f"{count} ballot signatures",
        "ballots.proofs": f"{proofs} proofs",
        "ballots.unique_credential": f"{count} distinct credential keys",
        "board.checkpoint_signatures": f"{board.checkpoints} checkpoints",
        "board.checkpoint_consistency": f"{board.checkpoints} checkpoints match the ballots",
        "board.final_root": f"size {board.final_size}, root {board.final_root.hex()[:16]}…",
    }
    return {name: passed(name, detail) for name, detail in details.items()}


def _pass_results(state: State) -> Iterator[CheckResult]:
    """The ballot pass, then its nine results in §8 order (counts check included)."""
    verifier = NoteVerifier(
        state.need_manifest().board_origin, Ed25519PublicKey(state.need_keys().board_public_key)
    )
    small = (state.source.size(BALLOTS_FILE) or 0) < SMALL_BOARD_BYTES
    state.board = run_ballot_pass(
        state.source, _rules(state), verifier, 1 if small else state.workers
    )
    stop = state.board.failure
    if stop is not None:
        reason = f"not finished: the pass stopped at {stop.failure.location()}"
        for name in _PASS_CHECKS:
            yield failed(name, stop.failure) if name == stop.check else skipped(name, reason)
        return
    results = _pass_successes(state)
    for name in _PASS_CHECKS:
        if name == "counts.ballots_le_credentials_le_eligible":
            yield run_check(name, tally.check_counts, state)
        else:
            yield results[name]


def iter_results(state: State) -> Iterator[CheckResult]:
    """Every check's result in §8 order, ending after the first failure."""
    for name, check in _BEFORE_PASS:
        result = run_check(name, check, state)
        yield result
        if not result.ok:
            return
    for result in _pass_results(state):
        yield result
        if result.status is Status.FAIL:
            return
    for name, check in _AFTER_PASS:
        result = run_check(name, check, state)
        yield result
        if not result.ok:
            return


class Report:
    """Prints results as they come; in quiet mode only failures and the verdict."""

    def __init__(self, out: TextIO, *, quiet: bool) -> None:
        self.out, self.quiet = out, quiet
        self.results: list[CheckResult] = []

    def add(self, result: CheckResult) -> None:
        self.results.append(result)
        if not self.quiet or result.status in {Status.FAIL, Status.WARN}:
            print(
                f"{result.status.value}  {result.name:<42} {result.detail}",
                file=self.out,
                flush=True,
            )

    def finish(self, seconds: float) -> int:
        done = {result.name for result in self.results}
        for name in CHECKS:
            if name not in done:
                self.add(skipped(name))
        failures = [r for r in self.results if r.status is Status.FAIL]
        warnings = [r for r in self.results if r.status is Status.WARN]
        count = sum(r.status is Status.PASS for r in self.results)
        verdict = "FAILED" if failures else "VERIFIED"
        if warnings and not failures:
            verdict = f"VERIFIED with {len(warnings)} warning(s)"
            for result in warnings:
                print(f"WARNING: {result.name}: {result.detail}", file=self.out)
        print(f"{verdict}: {count} of {len(CHECKS)} checks passed ({seconds:.1f} s)", file=self.out)
        return EXIT_FAILED if failures else EXIT_OK


def verify_record(
    path: str, *, workers: int | None = None, out: TextIO | None = None, quiet: bool = False
) -> int:
    """Verify the record at ``path`` (directory or zip); return the exit status."""
    started = time.perf_counter()
    out = out or sys.stdout
    try:
        source = open_record(path)
    except NotARecordError as error:
        print(f"error: {error}", file=out)
        return EXIT_NOT_A_RECORD
    with source:
        if not quiet:
            print(f"Stimmwerk election record verifier, format v3 (and v2): {path}", file=out)
        report = Report(out, quiet=quiet)
        state = State(source, workers or os.cpu_count() or 1)
        for result in iter_results(state):
            report.add(result)
        return report.finish(time.perf_counter() - started)
