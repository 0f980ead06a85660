"""Benchmark: credential issuance (RFC 9474 blind RSA) and the Merkle bulletin board.

Run: ``.venv/bin/python bench/crypto_credentials.py`` (about a minute on 2 cores).
Prints medians over several runs and the machine; asserts nothing.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cryptography
import gmpy2
import nacl

from crypto.blind_rsa import (
    BlindRsaPrivateKey,
    blind,
    blind_sign,
    finalize,
    prepare,
    verify,
)
from crypto.merkle import MerkleTree, RootAccumulator, leaf_hash, verify_inclusion

if TYPE_CHECKING:
    from collections.abc import Callable

RUNS = 5
_worker_key: BlindRsaPrivateKey | None = None


def median_seconds(func: Callable[[], object], runs: int = RUNS) -> float:
    """Median wall time of ``func`` over ``runs`` runs (after one warm-up call)."""
    func()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _init_worker(pem: bytes) -> None:
    global _worker_key  # noqa: PLW0603  # one key per worker process, loaded once
    _worker_key = BlindRsaPrivateKey.from_pem(pem)


def _sign_batch(blinded: list[bytes]) -> int:
    assert _worker_key is not None
    for msg in blinded:
        blind_sign(_worker_key, msg)
    return len(blinded)


def bench_issuance(key: BlindRsaPrivateKey) -> None:
    pk = key.public_key
    batch = [blind(pk, prepare(pk, os.urandom(32))).blinded_msg for _ in range(300)]
    one = median_seconds(lambda: [blind_sign(key, m) for m in batch]) / len(batch)
    print(
        f"blind_sign (server, 3072-bit, 1 core): {one * 1e3:.2f} ms  -> {1 / one:.0f} credentials/s"
    )

    workers = os.cpu_count() or 1
    pool_batch = [blind(pk, prepare(pk, os.urandom(32))).blinded_msg for _ in range(1200)]
    chunks = [pool_batch[i :: workers * 4] for i in range(workers * 4)]
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(key.to_pem(),)) as pool:
        per = median_seconds(lambda: sum(pool.map(_sign_batch, chunks)), runs=3) / len(pool_batch)
    label = f"blind_sign ({workers}-process pool):"
    print(f"{label:<39}{per * 1e3:.2f} ms  -> {1 / per:.0f} credentials/s")


def bench_client(key: BlindRsaPrivateKey) -> None:
    pk = key.public_key
    msgs = [os.urandom(32) for _ in range(100)]

    def client_round() -> None:
        for msg in msgs:
            state = blind(pk, prepare(pk, msg))
            finalize(pk, state, blind_sign(key, state.blinded_msg))

    def server_only() -> None:
        for msg in msgs:
            blind_sign(key, msg.rjust(pk.modulus_len, b"\0"))

    client = (median_seconds(client_round) - median_seconds(server_only)) / len(msgs)
    print(f"client prepare+blind+finalize:         {client * 1e3:.2f} ms")

    signed = [
        finalize(pk, s, blind_sign(key, s.blinded_msg))
        for s in (blind(pk, prepare(pk, m)) for m in msgs)
    ]
    per = median_seconds(lambda: [verify(pk, s.prepared.input_msg, s.sig) for s in signed]) / len(
        signed
    )
    print(f"verify finished signature (cryptography RSA-PSS): {per * 1e6:.1f} us")


def bench_merkle() -> None:
    n = 100_000
    leaves = [leaf_hash(i.to_bytes(8, "big")) for i in range(n)]

    def stream_root() -> bytes:
        acc = RootAccumulator()
        for h in leaves:
            acc.append(h)
        return acc.root()

    print(f"Merkle root of {n:,} leaves, streaming:  {median_seconds(stream_root) * 1e3:.0f} ms")
    build = median_seconds(lambda: MerkleTree(leaves), runs=3)
    print(f"MerkleTree build (level store), {n:,}: {build * 1e3:.0f} ms")
    tree = MerkleTree(leaves)
    root = tree.root()
    indices = list(range(0, n, n // 1000))
    gen = median_seconds(lambda: [tree.inclusion_proof(i) for i in indices]) / len(indices)
    proofs = [tree.inclusion_proof(i) for i in indices]
    ver = median_seconds(
        lambda: [verify_inclusion(p, leaves[p.leaf_index], root) for p in proofs]
    ) / len(proofs)
    print(f"inclusion proof, tree of {n:,}: generate {gen * 1e6:.0f} us, verify {ver * 1e6:.0f} us")
    cons = median_seconds(lambda: [tree.consistency_proof(m) for m in indices[1:]]) / (
        len(indices) - 1
    )
    print(f"consistency proof, tree of {n:,}: generate {cons * 1e6:.0f} us")


def main() -> None:
    print(f"machine: {platform.platform()}, {platform.machine()}, cpu_count={os.cpu_count()}")
    print(
        f"python {platform.python_version()}, cryptography {cryptography.__version__}, "
        f"gmpy2 {gmpy2.version()}, PyNaCl {nacl.__version__}; medians of {RUNS} runs"
    )
    start = time.perf_counter()
    key = BlindRsaPrivateKey.generate(3072)
    print(f"key generation (3072-bit, once): {(time.perf_counter() - start) * 1e3:.0f} ms")
    bench_issuance(key)
    bench_client(key)
    bench_merkle()


if __name__ == "__main__":
    main()
