"""Key generation among ``n`` trustees with threshold ``t`` (joint-Feldman DKG).

Protects the election secret ``x`` against any ``t - 1`` trustees (and the server, which
is never a trustee): ``x`` is never assembled anywhere; each trustee ends up with a
Shamir share ``x_j`` of it, and any ``t`` of them can decrypt the final tally.

Each dealer ``i`` (every trustee deals once; 1-based indices):

1. picks ``f_i(z) = a_i0 + a_i1·z + ... + a_i,t-1·z^{t-1}`` with random ``a_ik``;
2. publishes Feldman commitments ``C_ik = g^{a_ik}`` and a Schnorr proof of knowledge of
   ``a_i0`` whose context binds the election context, ``t``, ``n``, ``i`` and all
   ``C_ik`` (stops a dealer from copying or cancelling another's ``C_i0``);
3. sends ``s_ij = f_i(j)`` to trustee ``j`` in a libsodium sealed box for ``j``'s X25519
   key; the plaintext frames the share as
   ``transcript.encode(DKG_SHARE, context, u32(i), u32(j), s_ij)``.

Trustee ``j`` checks ``g^{s_ij} == Π_k C_ik^{j^k}``. On failure it publishes a
`ShareComplaint` whose evidence is the box's shared key (the X25519/HSalsa20 key of
that one box only, which reveals nothing else): anyone re-opens the public box with it and
sees the bad share. A wrong key cannot open the box (Poly1305 under a key derived by
XSalsa20), so a lying recipient cannot frame an honest dealer. If the box does not open
even under the right key, the evidence cannot show it; then, as in Pedersen's VSS, the
dealer must publish ``s_ij`` and everyone checks it with `verify_share`.

Dealers with a justified complaint or a bad proof are disqualified; the rest form QUAL.
(Joint-Feldman lets a late adversary bias the joint key's distribution; Gennaro et al.
show ElGamal decryption stays secure under that bias.)
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from nacl import bindings as sodium
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from crypto import transcript
from crypto.group import SCALAR_BYTES, ZERO, Point, Scalar, base_mul
from crypto.proofs import NonceSource, SchnorrProof, prove_dlog, verifier, verify_dlog

if TYPE_CHECKING:
    from collections.abc import Sequence

_log = logging.getLogger(__name__)

MAX_TRUSTEES: Final = 1000
_KEY_BYTES: Final = 32  # X25519 public key and box key
_SEAL_OVERHEAD: Final = _KEY_BYTES + 16  # ephemeral key + Poly1305 tag


@dataclass(frozen=True, slots=True)
class ThresholdParameters:
    """``t`` of ``n`` trustees, and the election context every proof is bound to."""

    threshold: int
    trustees: int
    context: bytes

    def __post_init__(self) -> None:
        if not 1 <= self.threshold <= self.trustees <= MAX_TRUSTEES:
            raise ValueError(f"need 1 ≤ t ≤ n ≤ {MAX_TRUSTEES}")

    def is_trustee(self, index: int) -> bool:
        return 1 <= index <= self.trustees


@dataclass(frozen=True, slots=True)
class Dealing:
    """Dealer ``i``'s secret polynomial coefficients ``a_i0 .. a_i,t-1``. Never published."""

    dealer: int
    coefficients: tuple[Scalar, ...]

    def share_for(self, recipient: int) -> Scalar:
        """``s_ij = f_i(j)``, by Horner's rule in libsodium scalar arithmetic."""
        point = Scalar.from_int(recipient)
        share = ZERO
        for coefficient in reversed(self.coefficients):
            share = share * point + coefficient
        return share


@dataclass(frozen=True, slots=True)
class DealerCommitments:
    """What dealer ``i`` publishes: ``C_i0 .. C_i,t-1`` and the proof of knowledge of ``a_i0``."""

    dealer: int
    coefficients: tuple[Point, ...]
    proof: SchnorrProof


@dataclass(frozen=True, slots=True)
class EncryptedShare:
    """``s_ij`` sealed to trustee ``j``'s X25519 key; published so complaints can cite it."""

    dealer: int
    recipient: int
    sealed: bytes


@dataclass(frozen=True, slots=True)
class ShareComplaint:
    """Recipient ``j``'s evidence that dealer ``i``'s share is bad.

    ``box_key`` is ``crypto_box_beforenm(ephemeral_pk, sk_j)``, or None when the box is
    malformed on its face (wrong length, small-order ephemeral key).
    """

    dealer: int
    recipient: int
    box_key: bytes | None


def _pok_context(params: ThresholdParameters, dealer: int, points: Sequence[Point]) -> bytes:
    numbers = (params.threshold, params.trustees, dealer)
    return transcript.encode(
        transcript.DKG_COMMITMENT,
        params.context,
        *(transcript.u32(number) for number in numbers),
        *(point.encoded for point in points),
    )


def deal(
    params: ThresholdParameters, dealer: int, *, random_scalar: NonceSource = Scalar.random
) -> tuple[Dealing, DealerCommitments]:
    """Draw dealer ``i``'s polynomial; return it and the public commitments with the proof."""
    if not params.is_trustee(dealer):
        raise ValueError("dealer index out of range")
    coefficients = tuple(random_scalar() for _ in range(params.threshold))
    points = tuple(base_mul(coefficient) for coefficient in coefficients)
    context = _pok_context(params, dealer, points)
    proof = prove_dlog(coefficients[0], context, random_scalar=random_scalar)
    return Dealing(dealer, coefficients), DealerCommitments(dealer, points, proof)


@verifier
def verify_commitments(params: ThresholdParameters, commitments: DealerCommitments) -> bool:
    """Check the dealer index, the number of commitments and the proof of knowledge."""
    if not params.is_trustee(commitments.dealer):
        _log.debug("commitments: dealer %d is not a trustee", commitments.dealer)
        return False
    if len(commitments.coefficients) != params.threshold:
        _log.debug("commitments: dealer %d did not commit to t values", commitments.dealer)
        return False
    context = _pok_context(params, commitments.dealer, commitments.coefficients)
    if not verify_dlog(commitments.coefficients[0], commitments.proof, context):
        _log.debug("commitments: dealer %d's proof of knowledge fails", commitments.dealer)
        return False
    return True


def share_image(commitments: Sequence[Point], recipient: int) -> Point:
    """``Π_k C_k^{j^k}`` (``g^{f(j)}``), by Horner's rule on the commitments."""
    point = Scalar.from_int(recipient)
    image = commitments[-1]
    for commitment in reversed(commitments[:-1]):
        image = image * point + commitment
    return image


@verifier
def verify_share(commitments: DealerCommitments, recipient: int, share: Scalar) -> bool:
    """Feldman check ``g^{s_ij} == Π_k C_ik^{j^k}`` (also for a publicly revealed share)."""
    if base_mul(share) != share_image(commitments.coefficients, recipient):
        _log.debug("share: dealer %d's share for %d fails", commitments.dealer, recipient)
        return False
    return True


def _share_frame(params: ThresholdParameters, dealer: int, recipient: int) -> bytes:
    """The plaintext prefix; a full plaintext is this plus ``u32(32) || s_ij``."""
    numbers = (transcript.u32(dealer), transcript.u32(recipient))
    return transcript.encode(transcript.DKG_SHARE, params.context, *numbers)


def seal_share(
    params: ThresholdParameters, dealing: Dealing, recipient: int, recipient_key: PublicKey
) -> EncryptedShare:
    """Seal ``s_ij`` for trustee ``j`` (confidential against everyone but ``j``)."""
    if not params.is_trustee(recipient):
        raise ValueError("recipient index out of range")
    share = dealing.share_for(recipient)
    plaintext = _share_frame(params, dealing.dealer, recipient) + transcript.u32(SCALAR_BYTES)
    sealed = SealedBox(recipient_key).encrypt(plaintext + share.encoded)
    return EncryptedShare(dealing.dealer, recipient, bytes(sealed))


def _parse_share(params: ThresholdParameters, encrypted: EncryptedShare, plain: bytes) -> Scalar:
    frame = _share_frame(params, encrypted.dealer, encrypted.recipient)
    frame += transcript.u32(SCALAR_BYTES)
    if len(plain) != len(frame) + SCALAR_BYTES or plain[: len(frame)] != frame:
        raise ValueError("share plaintext is not framed for this election, dealer, recipient")
    return Scalar.decode(plain[len(frame) :])


def _box_is_malformed(sealed: bytes, params: ThresholdParameters) -> bool:
    """Publicly checkable defects: wrong length or a small-order ephemeral key."""
    expected = _SEAL_OVERHEAD + len(_share_frame(params, 1, 1)) + 4 + SCALAR_BYTES
    if len(sealed) != expected:
        return True
    try:  # X25519 with a small-order point yields zero, which libsodium refuses.
        sodium.crypto_scalarmult(b"\x09" * _KEY_BYTES, sealed[:_KEY_BYTES])
    except CryptoError:
        return True
    return False


def open_share(
    params: ThresholdParameters,
    encrypted: EncryptedShare,
    recipient_key: PrivateKey,
    commitments: DealerCommitments,
) -> Scalar | ShareComplaint:
    """Open and check ``s_ij``; return it, or the complaint to publish if it is bad.

    Raises:
        ValueError: if ``commitments`` belong to another dealer (a caller mix-up, which
            must not turn into a complaint against an honest dealer).
    """
    if commitments.dealer != encrypted.dealer:
        raise ValueError("the commitments are not the sending dealer's")
    if _box_is_malformed(encrypted.sealed, params):
        return ShareComplaint(encrypted.dealer, encrypted.recipient, None)
    box_key = sodium.crypto_box_beforenm(encrypted.sealed[:_KEY_BYTES], bytes(recipient_key))
    complaint = ShareComplaint(encrypted.dealer, encrypted.recipient, box_key)
    try:
        share = _parse_share(params, encrypted, SealedBox(recipient_key).decrypt(encrypted.sealed))
    except (CryptoError, ValueError):
        return complaint
    if not verify_share(commitments, encrypted.recipient, share):
        return complaint
    return share


@verifier
def verify_complaint(
    params: ThresholdParameters,
    complaint: ShareComplaint,
    encrypted: EncryptedShare,
    recipient_key: PublicKey,
    commitments: DealerCommitments,
) -> bool:
    """Return True iff the evidence proves dealer ``i`` sent trustee ``j`` a bad share."""
    names = (complaint.dealer, complaint.recipient)
    if names != (encrypted.dealer, encrypted.recipient) or commitments.dealer != complaint.dealer:
        _log.debug("complaint: does not refer to this box and these commitments")
        return False
    if _box_is_malformed(encrypted.sealed, params):
        return True
    if complaint.box_key is None:
        _log.debug("complaint: no box key, but the box is well-formed")
        return False
    ephemeral = encrypted.sealed[:_KEY_BYTES]
    # libsodium's sealed-box nonce: BLAKE2b-192(ephemeral_pk || recipient_pk).
    nonce = hashlib.blake2b(ephemeral + bytes(recipient_key), digest_size=24).digest()
    try:
        plain = sodium.crypto_box_open_easy_afternm(
            encrypted.sealed[_KEY_BYTES:], nonce, complaint.box_key
        )
    except CryptoError:
        _log.debug("complaint: the box key does not open the box; dealer must reveal the share")
        return False
    try:
        share = _parse_share(params, encrypted, plain)
    except ValueError:
        return True
    return not verify_share(commitments, complaint.recipient, share)
