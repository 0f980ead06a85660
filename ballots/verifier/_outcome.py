"""Check names (record format §8), their outcomes, and where a failure is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from ballots.record import RecordError

CHECKS: Final = (
    "record.files",
    "manifest.hash",
    "keys.fingerprint",
    "keys.issuer",
    "keys.trustee_proofs",
    "keys.joint_key",
    "roll.commitment",
    "roll.counts",
    "issuance.subset",
    "ballots.format",
    "ballots.credential_signature",
    "ballots.signature",
    "ballots.proofs",
    "ballots.unique_credential",
    "counts.ballots_le_credentials_le_eligible",
    "board.checkpoint_signatures",
    "board.checkpoint_consistency",
    "board.final_root",
    "tally.aggregate",
    "tally.decryption_proofs",
    "tally.decryption",
    "tally.result",
    "tally.quorum",
    "tally.statement",
    "tally.postal_signatures",
)
"""Every named check of docs/election-record.md §8, in the order they are printed."""


class Status(Enum):
    PASS = "PASS"  # noqa: S105  # a check status, not a password
    WARN = "WARN"
    """Not failed, but not established either: a version-2 record lacks what it checks."""
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True, slots=True)
class Failure:
    """The first bad item: file in the record, 1-based line (or None), field path."""

    file: str
    line: int | None
    field: str
    message: str

    @classmethod
    def from_error(cls, error: RecordError) -> Failure:
        return cls(error.file, error.line, error.field, error.message)

    def location(self) -> str:
        where = self.file if self.line is None else f"{self.file} line {self.line}"
        return f"{where}, field {self.field}" if self.field else where

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A named check's outcome: PASS with what was counted, FAIL with the first failure."""

    name: str
    status: Status
    detail: str = ""
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.status in {Status.PASS, Status.WARN}


def passed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, Status.PASS, detail)


def warned(name: str, detail: str) -> CheckResult:
    return CheckResult(name, Status.WARN, detail)


def failed(name: str, failure: Failure) -> CheckResult:
    return CheckResult(name, Status.FAIL, str(failure), failure)


def skipped(name: str, reason: str = "not run: an earlier check failed") -> CheckResult:
    return CheckResult(name, Status.SKIP, reason)


class CheckFailed(Exception):  # control flow inside a check, never escapes it
    """Raised inside a check function to end it with a failure (caught by the runner)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(str(failure))
        self.failure = failure


def fail(file: str, line: int | None, field: str, message: str) -> CheckFailed:
    """``raise fail(...)`` ends the current check with this failure."""
    return CheckFailed(Failure(file, line, field, message))
