"""Threshold ElGamal keys for ``n`` trustees with threshold ``t``.

`crypto.threshold._dealing` is the key generation (joint-Feldman DKG with sealed-box
share delivery and complaint evidence); `crypto.threshold._decryption` is the joint key,
trustee verification keys, proven partial decryptions and their combination. Equations
and the message flow are in those modules and in ``docs/crypto/primitives.md``.
"""

from crypto.threshold._dealing import (
    MAX_TRUSTEES,
    DealerCommitments,
    Dealing,
    EncryptedShare,
    ShareComplaint,
    ThresholdParameters,
    deal,
    open_share,
    seal_share,
    share_image,
    verify_commitments,
    verify_complaint,
    verify_share,
)
from crypto.threshold._decryption import (
    PartialDecryption,
    combine_partials,
    combine_shares,
    decrypt,
    joint_public_key,
    lagrange_at_zero,
    partial_decrypt,
    verification_key,
    verify_decryption,
    verify_partial_decryption,
)

__all__ = [
    "MAX_TRUSTEES",
    "DealerCommitments",
    "Dealing",
    "EncryptedShare",
    "PartialDecryption",
    "ShareComplaint",
    "ThresholdParameters",
    "combine_partials",
    "combine_shares",
    "deal",
    "decrypt",
    "joint_public_key",
    "lagrange_at_zero",
    "open_share",
    "partial_decrypt",
    "seal_share",
    "share_image",
    "verification_key",
    "verify_commitments",
    "verify_complaint",
    "verify_decryption",
    "verify_partial_decryption",
    "verify_share",
]
