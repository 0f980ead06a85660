"""The trustee's side of the key ceremony and the tally, with a passphrase key file.

Each function does on the trustee's behalf what their own machine would do (deal,
seal, open and check shares, decrypt) and calls the server's service only with what
the server may see: public keys, commitments, sealed shares, complaints with evidence,
proven partial decryptions. The secrets stay in the key file (`ballots.keyfile`).
For now the CLI runs these next to the database; the functions take the session only
to call the services.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from nacl.public import PrivateKey, PublicKey
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.i18n import N_
from ballots import keyfile, services, tally
from ballots.codec import commitments_from_json
from ballots.errors import CeremonyFailed
from ballots.keyfile import KdfLimits, TrusteeSecrets
from ballots.manifest import read_manifest
from ballots.models import Trustee
from ballots.record import (
    POSTAL_LINE_LABEL,
    ceremony_context,
    election_fingerprint,
    postal_line_payload,
)
from crypto.blind_rsa import Variant
from crypto.checkpoints import NoteVerifier, open_checkpoint
from crypto.elgamal import SecretKey
from crypto.group import Scalar, base_mul
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from crypto.signing import Ed25519PublicKey, sign, verify
from crypto.threshold import (
    Dealing,
    ShareComplaint,
    ThresholdParameters,
    combine_shares,
    deal,
    joint_public_key,
    open_share,
    partial_decrypt,
    seal_share,
    verification_key,
    verify_commitments,
)


def _load(path: Path, passphrase: str, election_id: uuid.UUID) -> TrusteeSecrets:
    secrets = keyfile.read_key_file(path, passphrase)
    if secrets.election_id != str(election_id):
        raise keyfile.KeyFileError("this key file belongs to another election")
    return secrets


def init_trustee(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    *,
    path: Path,
    passphrase: str,
    limits: KdfLimits = keyfile.MODERATE_LIMITS,
) -> Trustee:
    """Make the trustee's sealing key, save it in a new key file, publish its public half
    and the public half of the signing key derived from it (record §2.1)."""
    if path.exists():
        raise keyfile.KeyFileError(f"{path} exists; a key file is never overwritten")
    election = services.get_election(session, election_id)
    seat = next((t for t in election.trustees if t.account_id == actor.id), None)
    if seat is None:
        raise CeremonyFailed(reason=N_("this account is not a trustee of the election"))
    secrets = keyfile.new_secrets(str(election_id), seat.index)
    keyfile.write_key_file(path, secrets, passphrase, limits)
    public = bytes(PrivateKey(secrets.sealing_key).public_key)
    signing = secrets.signing_key.public_key.raw
    return services.register_sealing_key(session, election_id, actor, public, signing)


def _require_own_signing_key(state: services.CeremonyState, secrets: TrusteeSecrets) -> None:
    """Deal or check only under a ceremony context that lists this trustee's own key."""
    if not state.signing_keys:
        return
    if state.signing_keys.get(secrets.trustee) != secrets.signing_key.public_key.raw:
        raise CeremonyFailed(reason=N_("the ceremony does not list my own signing key"))


def deal_shares(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    *,
    path: Path,
    passphrase: str,
    limits: KdfLimits = keyfile.MODERATE_LIMITS,
) -> None:
    """Draw this trustee's polynomial, seal one share to every trustee, submit."""
    secrets = _load(path, passphrase, election_id)
    state = services.ceremony_state(session, election_id)
    if not state.all_registered:
        raise CeremonyFailed(reason=N_("not every trustee has registered a sealing key yet"))
    _require_own_signing_key(state, secrets)
    dealing, commitments = deal(state.params, secrets.trustee)
    sealed = {
        j: seal_share(state.params, dealing, j, PublicKey(key)).sealed
        for j, key in sorted(state.sealing_keys.items())
    }
    # Save the polynomial first: a dealer may have to reveal a disputed share.
    keyfile.write_key_file(path, secrets.with_dealing(dealing.coefficients), passphrase, limits)
    services.submit_dealing(session, election_id, actor, commitments, sealed)


def check_shares(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    *,
    path: Path,
    passphrase: str,
    limits: KdfLimits = keyfile.MODERATE_LIMITS,
) -> services.ShareCheckOutcome:
    """Open and check every share received; keep ``x_j``, or complain with evidence."""
    secrets = _load(path, passphrase, election_id)
    state = services.ceremony_state(session, election_id)
    _require_own_signing_key(state, secrets)
    received = services.shares_for(session, election_id, actor)
    private = PrivateKey(secrets.sealing_key)
    good: list[Scalar] = []
    complaints: list[ShareComplaint] = []
    for item in received:
        opened = open_share(state.params, item.encrypted, private, item.commitments)
        if isinstance(opened, ShareComplaint):
            complaints.append(opened)
        else:
            good.append(opened)
    if not complaints:
        share = combine_shares(good)
        keyfile.write_key_file(path, secrets.with_share(share), passphrase, limits)
    return services.submit_share_check(session, election_id, actor, complaints)


class StatementRefused(Exception):  # a refusal, not a bug
    """The outcome statement does not follow from the public data: not signed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _merkle_root(entries: Sequence[str]) -> str:
    return root_from_leaf_hashes(leaf_hash(bytes.fromhex(e)) for e in entries).hex()


def _ceremony_context(
    evidence: services.StatementEvidence, fingerprint: bytes, me: TrusteeSecrets | None
) -> tuple[bytes, list[str]]:
    """The dealers' proof context (record §2.1) and any problem with the signing keys."""
    keys = [d.get("signing_key") for d in evidence.dealings]
    if not any(keys):
        # Elections keyed before signing keys. A server that hid them (to pass off an
        # unsigned postal line) fails the dealer proofs, which were made over the keys.
        return fingerprint, []
    problems = []
    mine = keys[me.trustee - 1] if me is not None and 0 < me.trustee <= len(keys) else None
    if me is not None and mine != me.signing_key.public_key.hex():
        problems.append("my own signing key is not the one listed for me")
    if not all(keys) or len(set(keys)) != len(keys):
        return fingerprint, [*problems, "not every trustee has a distinct signing key"]
    return ceremony_context(fingerprint.hex(), [str(k) for k in keys]), problems


def _check_keys(
    evidence: services.StatementEvidence,
    trustee: int,
    share: Scalar,
    me: TrusteeSecrets | None = None,
) -> list[str]:
    """Fingerprint from manifest and keys; signing keys (mine among them); every dealer's
    proof bound to them; my own share; the joint key in the statement."""
    manifest = read_manifest(evidence.manifest)
    fingerprint = election_fingerprint(
        manifest.hash_hex,
        Variant.PSS_RANDOMIZED.value,
        evidence.issuer_spki,
        evidence.board_public_key,
    )
    problems = []
    if evidence.statement["fingerprint"] != fingerprint.hex():
        problems.append("the fingerprint is not that of the manifest, issuer key and board key")
    context, key_problems = _ceremony_context(evidence, fingerprint, me)
    problems += key_problems
    params = ThresholdParameters(manifest.threshold, manifest.trustees, context)
    dealings = [
        commitments_from_json(
            {k: v for k, v in d.items() if k != "signing_key"}, manifest.threshold
        )
        for d in evidence.dealings
    ]
    if len(dealings) != manifest.trustees or not all(
        verify_commitments(params, d) for d in dealings
    ):
        problems.append("the key ceremony's proofs are not bound to this fingerprint")
    elif base_mul(share) != verification_key(dealings, trustee):
        problems.append("my key share does not belong to these commitments")
    elif any(d.get("signing_key") for d in evidence.dealings) and evidence.statement.get(
        "joint_public_key"
    ) != (joint_public_key(dealings).encoded.hex()):
        problems.append("the statement's joint key is not the product of the commitments")
    return problems


def _check_roll(evidence: services.StatementEvidence, statement: dict[str, Any]) -> list[str]:
    roll, issuance = statement["roll"], statement["issuance"]
    entries, issued = evidence.roll_entries, evidence.issued_entries
    problems = []
    if roll["commitment"] != _merkle_root(entries) or roll["commitment"] != (
        evidence.roll_commitment
    ):
        problems.append("the roll commitment is not the Merkle root of the roll entries")
    expected = {"eligible": evidence.eligible, "postal": evidence.postal, "online": len(entries)}
    if any(roll[key] != value for key, value in expected.items()):
        problems.append("the roll counts differ from the roll")
    if len(entries) != evidence.eligible - evidence.postal:
        problems.append("the roll holds not exactly eligible − postal entries")
    if list(issued) != sorted(set(issued)) or not set(issued) <= set(entries):
        problems.append("the issuance list holds an entry twice or one not on the roll")
    if issuance != {"root": _merkle_root(issued), "issued": len(issued)}:
        problems.append("the issuance root or count differs from the issuance list")
    return problems


def _check_board(evidence: services.StatementEvidence, statement: dict[str, Any]) -> list[str]:
    origin = str(evidence.manifest["board_origin"])
    verifier = NoteVerifier(origin, Ed25519PublicKey(bytes.fromhex(evidence.board_public_key)))
    checkpoint = open_checkpoint(
        evidence.final_checkpoint.encode(), [verifier], expected_origin=origin
    )
    if checkpoint is None:
        return ["the final checkpoint is not signed by the election's board key"]
    board = {"size": checkpoint.tree_size, "root": checkpoint.root_hash.hex()}
    problems = [] if statement["board"] == board else ["the board differs from its checkpoint"]
    online = evidence.eligible - evidence.postal
    if not checkpoint.tree_size <= statement["issuance"]["issued"] <= online:
        problems.append("not ballots ≤ credentials ≤ online-eligible members")
    return problems


def _check_postal(evidence: services.StatementEvidence, statement: dict[str, Any]) -> list[str]:
    postal = statement["postal"]
    line = tally.PostalLine(
        tuple(tuple(q["counts"]) for q in postal["questions"]),
        tuple(q["invalid"] for q in postal["questions"]),
        postal["envelopes"],
    )
    problems = [
        f"postal line: {key}"
        for key in tally.postal_errors(read_manifest(evidence.manifest), line, evidence.postal)
    ]
    steps = [c["step"] for c in postal["confirmations"]]
    signed = "joint_public_key" in statement
    members = {c["trustee" if signed else "member"] for c in postal["confirmations"]}
    if evidence.postal and (steps != ["entered", "confirmed"] or len(members) != 2):  # noqa: PLR2004
        problems.append("the postal line lacks two confirmations by different members")
    if not evidence.postal and (steps or line.envelopes):
        problems.append("a postal line without postal voters")
    if signed:
        problems += _check_postal_signatures(evidence, statement, line)
    return problems


def _check_postal_signatures(
    evidence: services.StatementEvidence, statement: dict[str, Any], line: tally.PostalLine
) -> list[str]:
    """§7.3: each confirmation is its trustee's signature under the registered key."""
    keys = {d["index"]: d.get("signing_key") for d in evidence.dealings}
    questions = tuple(zip(line.counts, line.invalid, strict=True))
    for confirmation in statement["postal"]["confirmations"]:
        key = keys.get(confirmation["trustee"])
        payload = postal_line_payload(
            statement["fingerprint"], confirmation["step"], line.envelopes, questions
        )
        if key is None or not verify(
            Ed25519PublicKey(bytes.fromhex(key)),
            POSTAL_LINE_LABEL,
            payload,
            bytes.fromhex(confirmation["signature"]),
        ):
            return [f"the postal line's '{confirmation['step']}' is not a trustee's signature"]
    return []


def check_statement(
    evidence: services.StatementEvidence,
    trustee: int,
    share: Scalar,
    me: TrusteeSecrets | None = None,
) -> list[str]:
    """Recompute the outcome statement from public data; the problems found (none: sign).

    What the trustee binds with every partial decryption (record v3 §7): the checks
    that the trustee's own machine can make without trusting the server.
    """
    statement = evidence.statement
    return [
        *_check_keys(evidence, trustee, share, me),
        *_check_roll(evidence, statement),
        *_check_board(evidence, statement),
        *_check_postal(evidence, statement),
    ]


def decrypt_tally(
    session: Session, election_id: uuid.UUID, actor: Account, *, path: Path, passphrase: str
) -> None:
    """Check the outcome statement, then partially decrypt the aggregate and submit it.

    Raises:
        StatementRefused: the statement does not follow from the public data.
    """
    secrets = _load(path, passphrase, election_id)
    if secrets.share is None:
        raise keyfile.KeyFileError("this key file holds no key share (the ceremony did not end)")
    task = services.decryption_task(session, election_id, actor)
    if task.trustee != secrets.trustee:
        raise keyfile.KeyFileError("this key file belongs to another trustee")
    if task.statement is not None:
        evidence = services.statement_evidence(session, election_id, actor)
        problems = check_statement(evidence, task.trustee, secrets.share, secrets)
        if problems:
            raise StatementRefused(problems)
    share = SecretKey(secrets.share)
    partials = [
        [partial_decrypt(task.params, task.trustee, share, ciphertext) for ciphertext in row]
        for row in task.aggregate
    ]
    services.submit_partial_decryption(session, election_id, actor, partials)


def sign_postal_line(
    session: Session,
    election_id: uuid.UUID,
    line: tally.PostalLine,
    step: str,
    *,
    path: Path,
    passphrase: str,
) -> bytes:
    """This trustee's signature of the postal line (record §7.3), made with the key file.

    The figures signed are the ones given here (the trustee's own count), bound to the
    election's fingerprint; the server only checks and stores the signature.
    """
    secrets = _load(path, passphrase, election_id)
    election = services.get_election(session, election_id)
    payload = services.postal_signing_payload(election, line, step)
    return sign(secrets.signing_key, POSTAL_LINE_LABEL, payload)


def postal_step(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    line: tally.PostalLine,
    step: str,
    *,
    path: Path,
    passphrase: str,
    now: datetime | None = None,
) -> None:
    """Enter (``step = "entered"``) or confirm the postal line, signed with the key file."""
    signature = sign_postal_line(session, election_id, line, step, path=path, passphrase=passphrase)
    if step == "entered":
        services.enter_postal_result(
            session, election_id, actor, line, signature=signature, now=now
        )
    else:
        services.confirm_postal_result(
            session, election_id, actor, line, signature=signature, now=now
        )


def dealing_from(secrets: TrusteeSecrets) -> Dealing:
    """This trustee's own dealing (to reveal a disputed share to the commission)."""
    return Dealing(secrets.trustee, secrets.coefficients)
