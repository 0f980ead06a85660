"""What the checks learn as they run, handed from one check to the next."""

from __future__ import annotations

from dataclasses import dataclass, field

from ballots.record import Issuance, Keys, Manifest, RecordSource, Roll, Tally
from ballots.verifier._ballot_pass import PassOutcome
from crypto.blind_rsa import BlindRsaPublicKey
from crypto.elgamal import Ciphertext
from crypto.threshold import DealerCommitments, PartialDecryption, ThresholdParameters


@dataclass
class State:
    """The record being verified and every value an earlier check established.

    A check reads only fields that the checks before it (in `CHECKS` order) have set;
    the runner stops at the first failure, so a later check never sees a None it needs.
    """

    source: RecordSource
    workers: int
    version: int = 3
    manifest: Manifest | None = None
    keys: Keys | None = None
    manifest_hash: bytes = b""
    fingerprint: bytes = b""
    """v3: the recomputed election fingerprint (the key ceremony's context)."""
    params: ThresholdParameters | None = None
    signing_keys: dict[int, bytes] = field(default_factory=dict)
    """§2.1: trustee index → Ed25519 signing key; empty in a record without them."""
    dealers: list[DealerCommitments] = field(default_factory=list)
    issuer: BlindRsaPublicKey | None = None
    roll: Roll | None = None
    roll_order_error: str | None = None
    roll_order_field: str = ""
    issuance: Issuance | None = None
    issuance_root: bytes = b""
    """The RFC 9162 root over the issuance entries (bound by the v3 statement)."""
    board: PassOutcome | None = None
    tally: Tally | None = None
    aggregates: list[list[Ciphertext]] = field(default_factory=list)
    partials: list[list[list[PartialDecryption]]] = field(default_factory=list)
    """Per question, per option: the verified partial decryptions."""

    def need_manifest(self) -> Manifest:
        assert self.manifest is not None, "manifest.hash runs first"
        return self.manifest

    def need_keys(self) -> Keys:
        assert self.keys is not None, "manifest.hash runs first"
        return self.keys

    def need_params(self) -> ThresholdParameters:
        assert self.params is not None, "keys.trustee_proofs runs first"
        return self.params

    def need_roll(self) -> Roll:
        assert self.roll is not None, "roll.commitment runs first"
        return self.roll

    def need_issuance(self) -> Issuance:
        assert self.issuance is not None, "issuance.subset runs first"
        return self.issuance

    def need_board(self) -> PassOutcome:
        assert self.board is not None, "the ballot pass runs first"
        return self.board

    def need_tally(self) -> Tally:
        assert self.tally is not None, "tally.aggregate runs first"
        return self.tally
