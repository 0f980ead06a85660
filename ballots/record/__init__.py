"""The Stimmwerk election record (``docs/election-record.md``), format v3: types, parsers.

Version-2 records are still read (the verifier warns what they lack).

Imports only the standard library and ``crypto``: an auditor reads a record with this
package alone, without the application, its database or its settings. Every parser is
strict (known keys, exact types, hex lengths, canonical JSON) and raises `RecordError`
naming file, line and field; the large files (roll, issuance, ballots, checkpoints) are
read one entry or line at a time.
"""

from ballots.record._ballots import (
    Answer,
    Ballot,
    CiphertextData,
    Credential,
    DisjunctiveProofData,
    canonical_ballot_json,
    parse_ballot,
)
from ballots.record._checkpoints import CheckpointLine, parse_checkpoint_line
from ballots.record._commission import (
    CEREMONY_LABEL,
    POSTAL_LINE_LABEL,
    ceremony_context,
    postal_line_document,
    postal_line_payload,
)
from ballots.record._document import decode_document, read_document
from ballots.record._errors import NotARecordError, RecordError
from ballots.record._fields import Loc
from ballots.record._keys import (
    ChallengeResponse,
    IssuerKey,
    Keys,
    TrusteeKeys,
    parse_keys,
    read_keys,
)
from ballots.record._lines import iter_lines
from ballots.record._manifest import (
    Manifest,
    Option,
    Question,
    Quorum,
    Unit,
    parse_manifest,
    read_manifest,
)
from ballots.record._roll import (
    Issuance,
    Roll,
    iter_issuance_entries,
    iter_roll_entries,
    scan_issuance,
    scan_roll,
)
from ballots.record._source import RECORD_FILES, RecordSource, open_record
from ballots.record._statement import (
    CONFIRMATION_STEPS,
    FINGERPRINT_LABEL,
    STATEMENT_LABEL,
    Confirmation,
    PostalQuestion,
    Statement,
    StatementInput,
    commission_member_tag,
    election_fingerprint,
    fingerprint_document,
    parse_statement,
    statement_document,
    statement_hash,
)
from ballots.record._tally import (
    DecryptionShare,
    PartialDecryptionData,
    PostalLine,
    QuestionTally,
    Tally,
    Turnout,
    parse_tally,
    read_tally,
)

BALLOTS_FILE = "ballots.jsonl"
CHECKPOINTS_FILE = "checkpoints.jsonl"

__all__ = [
    "BALLOTS_FILE",
    "CEREMONY_LABEL",
    "CHECKPOINTS_FILE",
    "CONFIRMATION_STEPS",
    "FINGERPRINT_LABEL",
    "POSTAL_LINE_LABEL",
    "RECORD_FILES",
    "STATEMENT_LABEL",
    "Answer",
    "Ballot",
    "ChallengeResponse",
    "CheckpointLine",
    "CiphertextData",
    "Confirmation",
    "Credential",
    "DecryptionShare",
    "DisjunctiveProofData",
    "Issuance",
    "IssuerKey",
    "Keys",
    "Loc",
    "Manifest",
    "NotARecordError",
    "Option",
    "PartialDecryptionData",
    "PostalLine",
    "PostalQuestion",
    "Question",
    "QuestionTally",
    "Quorum",
    "RecordError",
    "RecordSource",
    "Roll",
    "Statement",
    "StatementInput",
    "Tally",
    "TrusteeKeys",
    "Turnout",
    "Unit",
    "canonical_ballot_json",
    "ceremony_context",
    "commission_member_tag",
    "decode_document",
    "election_fingerprint",
    "fingerprint_document",
    "iter_issuance_entries",
    "iter_lines",
    "iter_roll_entries",
    "open_record",
    "parse_ballot",
    "parse_checkpoint_line",
    "parse_keys",
    "parse_manifest",
    "parse_statement",
    "parse_tally",
    "postal_line_document",
    "postal_line_payload",
    "read_document",
    "read_keys",
    "read_manifest",
    "read_tally",
    "scan_issuance",
    "scan_roll",
    "statement_document",
    "statement_hash",
]
