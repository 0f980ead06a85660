"""Benchmark the ballot crypto: encrypt+prove and verify a yes/no/abstain ballot, and decrypt.

A one-hot ballot of 3 options is 3 ciphertexts, 3 zero-one proofs and one range proof
that exactly one option is selected (640 bytes). "verify" starts from those bytes:
decoding validates the 6 points, then all 4 proofs are checked. The tally part runs a
3-trustee, t = 2 decryption of one aggregate ciphertext.

Run: ``.venv/bin/python bench/crypto_ballot.py [--runs 5] [--iterations 60]``. Prints the
median over runs of each run's median; no assertions. The target it informs: 400,000
ballots verified in 10 minutes on 2 cores, i.e. about 3 ms per ballot per core including
one RSA-PSS and one Ed25519 signature check (measured here too, for the projection).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import nacl
import rbcl
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from nacl.signing import SigningKey

from crypto import elgamal, threshold
from crypto.elgamal import Ciphertext, PublicKey
from crypto.proofs import (
    DisjunctiveProof,
    prove_range,
    prove_zero_one,
    verify_range,
    verify_zero_one,
)

if TYPE_CHECKING:
    from collections.abc import Callable

OPTIONS = 3
CONTEXT = b"bench-election-hash|credential-public-key"
BALLOTS_TARGET = 400_000
CORES = 2


@dataclass(frozen=True)
class Ballot:
    ciphertexts: list[Ciphertext]
    zero_one: list[DisjunctiveProof]
    count: DisjunctiveProof

    def encode(self) -> bytes:
        parts = [c.encode() for c in self.ciphertexts] + [p.encode() for p in self.zero_one]
        return b"".join(parts) + self.count.encode()


def encrypt_ballot(key: PublicKey, choice: int) -> Ballot:
    openings = [(int(i == choice), elgamal.fresh_nonce()) for i in range(OPTIONS)]
    ciphertexts = [elgamal.encrypt(key, m, r) for m, r in openings]
    zero_one = [
        prove_zero_one(key, c, m, r, CONTEXT)
        for c, (m, r) in zip(ciphertexts, openings, strict=True)
    ]
    count = prove_range(key, ciphertexts, openings, (1, 1), CONTEXT)
    return Ballot(ciphertexts, zero_one, count)


def verify_ballot(key: PublicKey, data: bytes) -> bool:
    ciphertexts = [Ciphertext.decode(data[64 * i : 64 * (i + 1)]) for i in range(OPTIONS)]
    offset = 64 * OPTIONS
    proofs = [
        DisjunctiveProof.decode(data[offset + 128 * i : offset + 128 * (i + 1)])
        for i in range(OPTIONS)
    ]
    count = DisjunctiveProof.decode(data[offset + 128 * OPTIONS :])
    return all(
        verify_zero_one(key, c, p, CONTEXT) for c, p in zip(ciphertexts, proofs, strict=True)
    ) and verify_range(key, ciphertexts, (1, 1), count, CONTEXT)


def measure(action: Callable[[], object], runs: int, iterations: int) -> tuple[float, float, float]:
    """Median, min and max (ms) of the per-run medians."""
    action()  # warm up caches (dlog table, imports)
    medians = []
    for _ in range(runs):
        samples = []
        for _ in range(iterations):
            start = time.perf_counter()
            action()
            samples.append(time.perf_counter() - start)
        medians.append(statistics.median(samples) * 1e3)
    return statistics.median(medians), min(medians), max(medians)


def report(name: str, figures: tuple[float, float, float]) -> None:
    median, low, high = figures
    print(f"  {name:<52} {median:8.3f} ms  (run medians {low:.3f}–{high:.3f})")


@dataclass(frozen=True)
class Trustees:
    params: threshold.ThresholdParameters
    secrets: dict[int, elgamal.SecretKey]
    commitments: list[threshold.DealerCommitments]


def setup_trustees() -> Trustees:
    """An honest 2-of-3 key generation (shares handed over directly; sealing is not timed)."""
    params = threshold.ThresholdParameters(threshold=2, trustees=3, context=CONTEXT)
    dealt = [threshold.deal(params, i) for i in (1, 2, 3)]
    secrets = {
        j: threshold.combine_shares(dealing.share_for(j) for dealing, _ in dealt) for j in (1, 2, 3)
    }
    return Trustees(params, secrets, [published for _, published in dealt])


def signature_costs(runs: int, iterations: int) -> tuple[float, float]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    message = os.urandom(32)
    rsa_signature = rsa_key.sign(message, pss, hashes.SHA384())
    rsa_public = rsa_key.public_key()
    ed_key = SigningKey.generate()
    ed_signed = ed_key.sign(os.urandom(700))
    rsa_ms = measure(
        lambda: rsa_public.verify(rsa_signature, message, pss, hashes.SHA384()), runs, iterations
    )
    ed_ms = measure(lambda: ed_key.verify_key.verify(ed_signed), runs, iterations)
    report("RSA-3072 PSS-SHA384 verify (token)", rsa_ms)
    report("Ed25519 verify, 700-byte message (ballot signature)", ed_ms)
    return rsa_ms[0], ed_ms[0]


COUNTED = {
    "crypto_scalarmult_ristretto255": "variable-base mult",
    "crypto_scalarmult_ristretto255_base": "fixed-base mult",
    "crypto_core_ristretto255_add": "add",
    "crypto_core_ristretto255_sub": "sub",
    "crypto_core_ristretto255_is_valid_point": "point validation",
}


def count_group_operations(action: Callable[[], object]) -> dict[str, int]:
    """Run ``action`` once with libsodium's group calls counted (bench only: patches rbcl)."""
    counts = dict.fromkeys(COUNTED.values(), 0)
    originals = {name: getattr(rbcl, name) for name in COUNTED}

    def counting(name: str) -> Callable[..., bytes]:
        def call(*args: bytes) -> bytes:
            counts[COUNTED[name]] += 1
            return originals[name](*args)  # type: ignore[no-any-return]

        return call

    try:
        for name in COUNTED:
            setattr(rbcl, name, counting(name))
        action()
    finally:
        for name, original in originals.items():
            setattr(rbcl, name, original)
    return counts


def ballot_figures(runs: int, iterations: int) -> None:
    key = elgamal.generate_keypair().public
    data = encrypt_ballot(key, choice=1).encode()
    if not verify_ballot(key, data):
        raise SystemExit("the benchmark ballot does not verify")
    print(f"\nballot: {OPTIONS} options, one-hot, {len(data)} bytes")
    operations = count_group_operations(lambda: verify_ballot(key, data))
    print("  verify uses: " + ", ".join(f"{n} {op}" for op, n in operations.items()))
    encrypt_ms = measure(lambda: encrypt_ballot(key, choice=1), runs, iterations)
    verify_ms = measure(lambda: verify_ballot(key, data), runs, iterations)
    report("encrypt + prove (3 ct, 3 zero-one, 1 range[1,1])", encrypt_ms)
    report("verify from bytes (decode 6 points + 4 proofs)", verify_ms)
    rsa_ms, ed_ms = signature_costs(runs, iterations)
    per_ballot = verify_ms[0] + rsa_ms + ed_ms
    minutes = per_ballot * BALLOTS_TARGET / CORES / 60_000
    print(f"  projection: {per_ballot:.3f} ms per ballot per core (proofs + token + signature)")
    print(f"  -> {BALLOTS_TARGET:,} ballots on {CORES} cores ≈ {minutes:.1f} min (target ≤ 10)")


def tally_figures(runs: int, iterations: int) -> None:
    trustees = setup_trustees()
    params, secrets = trustees.params, trustees.secrets
    joint = threshold.joint_public_key(trustees.commitments)
    tally = elgamal.aggregate(elgamal.encrypt(joint, 1, elgamal.fresh_nonce()) for _ in range(50))
    keys = {j: threshold.verification_key(trustees.commitments, j) for j in secrets}
    partials = [threshold.partial_decrypt(params, j, secrets[j], tally) for j in (1, 3)]
    print("\ntally decryption: 3 trustees, t = 2, one aggregate ciphertext (m = 50)")
    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "partial decryption + proof (one trustee)",
            lambda: threshold.partial_decrypt(params, 1, secrets[1], tally),
        ),
        (
            "verify one partial decryption",
            lambda: threshold.verify_partial_decryption(params, partials[0], tally, keys[1]),
        ),
        (
            "combine 2 partials (Lagrange) + discrete log",
            lambda: threshold.decrypt(params, tally, partials),
        ),
        (
            "auditor: verify_decryption (2 proofs + combine)",
            lambda: threshold.verify_decryption(params, tally, partials, keys, 50),
        ),
    ]
    for name, action in cases:
        report(name, measure(action, runs, iterations))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=60)
    args = parser.parse_args()
    processor = platform.processor() or platform.machine()
    print(f"machine: processor={processor!r} cpu_count={os.cpu_count()}")
    print(f"python {platform.python_version()}, PyNaCl {nacl.__version__}")
    print(f"load average before: {os.getloadavg()} (other jobs inflate the figures)")
    print(f"runs={args.runs} iterations={args.iterations} (median of per-run medians)")
    ballot_figures(args.runs, args.iterations)
    tally_figures(args.runs, args.iterations)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
