"""The ballot core's services: the rules and the transactions of one election's life.

Each function takes a session, checks permissions and state, writes an audit event for
every change and commits. ``now`` parameters default to the current time (tests and
the simulator pass their own clock). ``actor=None`` stands for the operator on the
command line or a scheduled task, trusted like the database.

Life of an election: `create_election` (changed with `update_election` until the
first trustee registers a key) → key ceremony (`register_sealing_key`,
`submit_dealing`, `shares_for`, `submit_share_check`) → `freeze_roll` →
`open_election` → `issue_credential` / `cast_ballot` → `close_election` →
`submit_partial_decryption`, `enter_postal_result`, `confirm_postal_result` →
`tally_election` → `ballots.record_writer.write_record`.
"""

from ballots.services._casting import (
    append_to_board,
    board_lines,
    cast_ballot,
    check_for_board,
    current_receipt,
    latest_checkpoint,
)
from ballots.services._ceremony import (
    CeremonyState,
    ReceivedShare,
    ShareCheckOutcome,
    ceremony_state,
    register_sealing_key,
    shares_for,
    submit_dealing,
    submit_share_check,
)
from ballots.services._common import (
    election_keys,
    get_election,
    manifest_of,
    record_election_event,
)
from ballots.services._credentials import issue_credential
from ballots.services._elections import (
    close_election,
    create_election,
    open_election,
    update_election,
)
from ballots.services._roll import freeze_roll, roll_commitment, roll_entry
from ballots.services._roll_check import RollCheck, RollStatus, roll_check
from ballots.services._sequencer import BoardSequencer, board_sequencer
from ballots.services._tally import (
    DecryptionTask,
    StatementEvidence,
    confirm_postal_result,
    decryption_parameters,
    decryption_task,
    enter_postal_result,
    freeze_statement,
    postal_signing_payload,
    statement_evidence,
    submit_partial_decryption,
    tally_election,
)

__all__ = [
    "BoardSequencer",
    "CeremonyState",
    "DecryptionTask",
    "ReceivedShare",
    "RollCheck",
    "RollStatus",
    "ShareCheckOutcome",
    "StatementEvidence",
    "append_to_board",
    "board_lines",
    "board_sequencer",
    "cast_ballot",
    "ceremony_state",
    "check_for_board",
    "close_election",
    "confirm_postal_result",
    "create_election",
    "current_receipt",
    "decryption_parameters",
    "decryption_task",
    "election_keys",
    "enter_postal_result",
    "freeze_roll",
    "freeze_statement",
    "get_election",
    "issue_credential",
    "latest_checkpoint",
    "manifest_of",
    "open_election",
    "postal_signing_payload",
    "record_election_event",
    "register_sealing_key",
    "roll_check",
    "roll_commitment",
    "roll_entry",
    "shares_for",
    "statement_evidence",
    "submit_dealing",
    "submit_partial_decryption",
    "submit_share_check",
    "tally_election",
    "update_election",
]
