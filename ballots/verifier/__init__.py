"""The independent verifier of Stimmwerk election records (``docs/election-record.md`` §8).

Imports only the standard library, ``ballots.record`` and ``crypto``: no application, no
database, no settings, no network. `verify_record` runs every named check and returns
the exit status; `iter_results` gives the results for programmatic use. `CheckpointTracker`
(a board's signed checkpoints against its leaves) is shared with the survey verifier.
"""

from ballots.verifier._board import BoardFailure, CheckpointTracker
from ballots.verifier._ledger import CredentialLedger
from ballots.verifier._outcome import CHECKS, CheckResult, Failure, Status
from ballots.verifier._runner import (
    EXIT_FAILED,
    EXIT_NOT_A_RECORD,
    EXIT_OK,
    iter_results,
    verify_record,
)
from ballots.verifier._state import State

__all__ = [
    "CHECKS",
    "EXIT_FAILED",
    "EXIT_NOT_A_RECORD",
    "EXIT_OK",
    "BoardFailure",
    "CheckResult",
    "CheckpointTracker",
    "CredentialLedger",
    "Failure",
    "State",
    "Status",
    "iter_results",
    "verify_record",
]
