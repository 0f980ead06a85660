"""Checks of manifest, keys, roll and issuance (record format §1–§4, §8).

Each check is a small function ``State -> CheckResult``. It raises `CheckFailed` (via
``raise fail(...)``) or lets a `RecordError` escape at the first bad item; the runner
turns both into a FAIL naming file, line and field.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import closing

from ballots.record import (
    RECORD_FILES,
    Loc,
    ceremony_context,
    election_fingerprint,
    iter_roll_entries,
    read_keys,
    read_manifest,
    scan_issuance,
    scan_roll,
)
from ballots.verifier._outcome import CheckResult, fail, passed, warned
from ballots.verifier._state import State
from crypto import blind_rsa
from crypto.canonical import domain_hash
from crypto.group import IDENTITY, InvalidEncodingError, Point, Scalar
from crypto.merkle import RootAccumulator, leaf_hash
from crypto.proofs import SchnorrProof
from crypto.threshold import DealerCommitments, ThresholdParameters, verify_commitments

MANIFEST_LABEL = "stimmwerk/manifest/v1"
ISSUER_VARIANT = "RSABSSA-SHA384-PSS-Randomized"
ISSUER_BITS = 3072
KEYS = "keys.json"
ROLL = "roll.json"
ISSUANCE = "issuance.json"


V2_LACKS = (
    "version-2 record: no election fingerprint, so the issuer and board keys are not "
    "bound to the trustees' proofs (record format §2)"
)


def check_record_files(state: State) -> CheckResult:
    """§0 Layout: the seven files, each exactly once, nothing else, one reading only."""
    problem = state.source.layout_problem
    if problem is not None:
        raise fail(state.source.path.name, None, "", problem)
    missing = [name for name in RECORD_FILES if state.source.size(name) is None]
    if missing:
        raise fail(missing[0], None, "", "the file is missing from the record")
    return passed("record.files", f"{len(RECORD_FILES)} files, each once, nothing else")


def check_manifest_hash(state: State) -> CheckResult:
    """§1: ``manifest_hash = H("stimmwerk/manifest/v1", manifest)`` as keys.json states it."""
    manifest = state.manifest = read_manifest(state.source)
    state.version = manifest.version
    keys = state.keys = read_keys(state.source, manifest.version)
    state.manifest_hash = domain_hash(MANIFEST_LABEL, manifest.value)  # type: ignore[arg-type]
    if keys.manifest_hash != state.manifest_hash:
        message = f"is not the hash of manifest.json ({state.manifest_hash.hex()})"
        raise fail(KEYS, 1, "manifest_hash", message)
    return passed(
        "manifest.hash", f"election {manifest.election_id}, hash {state.manifest_hash.hex()[:16]}…"
    )


def check_fingerprint(state: State) -> CheckResult:
    """§2 (v3): ``fingerprint = H("stimmwerk/election-fingerprint/v3", …)`` as stated."""
    keys = state.need_keys()
    if keys.fingerprint is None:
        return warned("keys.fingerprint", V2_LACKS)
    state.fingerprint = election_fingerprint(
        state.manifest_hash.hex(),
        keys.issuer.variant,
        keys.issuer.public_key_spki.hex(),
        keys.board_public_key.hex(),
    )
    if keys.fingerprint != state.fingerprint:
        message = (
            "is not the hash of the manifest hash, issuer key and board key "
            f"({state.fingerprint.hex()})"
        )
        raise fail(KEYS, 1, "fingerprint", message)
    return passed("keys.fingerprint", f"fingerprint {state.fingerprint.hex()}")


def _point(data: bytes, field: str) -> Point:
    try:
        return Point.decode(data)
    except InvalidEncodingError as error:
        raise fail(KEYS, 1, field, f"not a valid group element: {error}") from error


def _schnorr(challenge: bytes, response: bytes, field: str) -> SchnorrProof:
    try:
        return SchnorrProof(Scalar.decode(challenge), Scalar.decode(response))
    except InvalidEncodingError as error:
        raise fail(KEYS, 1, field, f"not a canonical scalar: {error}") from error


def check_trustee_proofs(state: State) -> CheckResult:
    """§2: n trustees, indices 1..n in order, t commitments each, every dealer proof.

    The proofs' context is the fingerprint (v3) or the manifest hash (v2, §0).
    """
    manifest, keys = state.need_manifest(), state.need_keys()
    context = _ceremony_context(state)
    params = state.params = ThresholdParameters(manifest.threshold, manifest.trustees, context)
    if len(keys.trustees) != params.trustees:
        raise fail(
            KEYS, 1, "trustees", f"expected {params.trustees} trustees, found {len(keys.trustees)}"
        )
    for position, trustee in enumerate(keys.trustees):
        where = f"trustees[{position}]"
        if trustee.index != position + 1:
            raise fail(KEYS, 1, f"{where}.index", f"expected trustee {position + 1} here")
        if len(trustee.commitments) != params.threshold:
            raise fail(
                KEYS, 1, f"{where}.commitments", f"expected t = {params.threshold} commitments"
            )
        points = tuple(
            _point(c, f"{where}.commitments[{k}]") for k, c in enumerate(trustee.commitments)
        )
        proof = _schnorr(trustee.proof.challenge, trustee.proof.response, f"{where}.proof")
        dealer = DealerCommitments(trustee.index, points, proof)
        if not verify_commitments(params, dealer):
            raise fail(KEYS, 1, f"{where}.proof", "the proof of knowledge of a_i0 does not verify")
        state.dealers.append(dealer)
    signed = ", each with a signing key bound to every proof" if state.signing_keys else ""
    return passed(
        "keys.trustee_proofs", f"{params.trustees} trustees, threshold {params.threshold}{signed}"
    )


def _ceremony_context(state: State) -> bytes:
    """§0.3, §2.1: the dealers' proof context; with signing keys it binds all of them.

    Either every trustee lists a signing key or none does (a record made before signed
    postal confirmations); the keys are distinct, so two confirmations under two keys
    are two trustees.
    """
    keys = state.need_keys()
    present = [t.signing_key is not None for t in keys.trustees]
    if not any(present):
        return state.fingerprint or state.manifest_hash
    if not all(present) or not state.fingerprint:
        where = f"trustees[{present.index(False)}]" if not all(present) else "trustees"
        raise fail(KEYS, 1, where, "either every trustee has a signing_key or none (v3 only)")
    signing = [t.signing_key for t in keys.trustees if t.signing_key is not None]
    for position, key in enumerate(signing):
        if key in signing[:position]:
            raise fail(
                KEYS, 1, f"trustees[{position}].signing_key", "is another trustee's signing key"
            )
    state.signing_keys = {t.index: key for t, key in zip(keys.trustees, signing, strict=True)}
    return ceremony_context(state.fingerprint.hex(), [key.hex() for key in signing])


def check_joint_key(state: State) -> CheckResult:
    """§2: ``joint_public_key = Π_i C_i0``."""
    joint = _point(state.need_keys().joint_public_key, "joint_public_key")
    product = IDENTITY
    for dealer in state.dealers:
        product = product + dealer.coefficients[0]
    if joint != product:
        raise fail(
            KEYS, 1, "joint_public_key", "is not the product of the trustees' first commitments"
        )
    return passed("keys.joint_key", f"product of {len(state.dealers)} commitments")


def check_issuer(state: State) -> CheckResult:
    """§2 *Clarified*: an RFC 9474 RSABSSA-SHA384-PSS-Randomized key of 3072 bits, e = 65537."""
    issuer = state.need_keys().issuer
    if issuer.variant != ISSUER_VARIANT:
        raise fail(KEYS, 1, "issuer.variant", f"expected {ISSUER_VARIANT!r}")
    try:
        key = blind_rsa.BlindRsaPublicKey.from_der(issuer.public_key_spki)
    except (ValueError, TypeError) as error:  # BlindRsaError is a ValueError
        raise fail(
            KEYS, 1, "issuer.public_key_spki", f"not a usable RSA public key: {error}"
        ) from error
    if key.n.bit_length() != ISSUER_BITS:
        raise fail(
            KEYS,
            1,
            "issuer.public_key_spki",
            f"modulus has {key.n.bit_length()} bits, not {ISSUER_BITS}",
        )
    if key.to_der() != issuer.public_key_spki:
        raise fail(KEYS, 1, "issuer.public_key_spki", "not the canonical DER encoding of the key")
    state.issuer = key
    return passed("keys.issuer", f"RSA-{ISSUER_BITS}, key id {key.key_id().hex()[:16]}…")


def check_roll_commitment(state: State) -> CheckResult:
    """§3: the RFC 9162 root over the roll entries equals ``commitment``."""
    leaves = RootAccumulator()
    previous = b""

    def on_entry(index: int, entry: bytes, loc: Loc) -> None:
        nonlocal previous
        leaves.append(leaf_hash(entry))
        if entry <= previous and state.roll_order_error is None:
            state.roll_order_error = "entries are not strictly ascending (sorted, distinct)"
            state.roll_order_field = loc.path
        previous = entry
        del index

    roll = state.roll = scan_roll(state.source, on_entry)
    if leaves.root() != roll.commitment:
        raise fail(ROLL, 1, "commitment", "is not the Merkle root of the entries")
    return passed("roll.commitment", f"{roll.entry_count} entries")


def check_roll_counts(state: State) -> CheckResult:
    """§3: sorted entries, ``len(entries) = eligible − postal``, cut-off as in the manifest."""
    roll = state.need_roll()
    if state.roll_order_error is not None:
        raise fail(ROLL, 1, state.roll_order_field, state.roll_order_error)
    if roll.postal > roll.eligible:
        raise fail(
            ROLL, 1, "postal", f"{roll.postal} postal voters exceed {roll.eligible} eligible"
        )
    if roll.entry_count != roll.eligible - roll.postal:
        message = (
            f"{roll.entry_count} entries, but eligible − postal = {roll.eligible - roll.postal}"
        )
        raise fail(ROLL, 1, "entries", message)
    if roll.cutoff_at != state.need_manifest().cutoff_at:
        raise fail(ROLL, 1, "cutoff_at", "differs from the manifest's cutoff_at")
    return passed(
        "roll.counts", f"{roll.eligible} eligible, {roll.postal} postal, {roll.entry_count} online"
    )


def check_issuance_subset(state: State) -> CheckResult:
    """§4: issuance entries strictly ascending, each in the roll; ``issued`` = count."""
    leaves = RootAccumulator()
    with closing(iter_roll_entries(state.source)) as roll_entries:
        walker = _subset_walker(roll_entries, leaves)
        issuance = state.issuance = scan_issuance(state.source, walker)
    state.issuance_root = leaves.root()
    if issuance.issued != issuance.entry_count:
        raise fail(
            ISSUANCE,
            1,
            "issued",
            f"says {issuance.issued}, but there are {issuance.entry_count} entries",
        )
    return passed("issuance.subset", f"{issuance.issued} credentials issued, all on the roll")


def _subset_walker(
    roll_entries: Generator[tuple[bytes, Loc], None, None], leaves: RootAccumulator
) -> Callable[[int, bytes, Loc], None]:
    """A merge walk over two ascending streams: each issued entry must occur in the roll."""
    current = b""
    previous = b""

    def on_entry(index: int, entry: bytes, loc: Loc) -> None:
        nonlocal current, previous
        if entry <= previous:
            raise fail(
                ISSUANCE, 1, loc.path, "entries are not strictly ascending (duplicated or unsorted)"
            )
        previous = entry
        leaves.append(leaf_hash(entry))
        while current < entry:
            current = next(roll_entries, (b"\xff" * 33, loc))[0]
        if current != entry:
            raise fail(ISSUANCE, 1, loc.path, "this entry is not in the roll")
        del index

    return on_entry
