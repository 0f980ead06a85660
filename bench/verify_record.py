"""Benchmark ``stimmwerk verify`` on valid yes/no/abstain records of 10,000 and 100,000 ballots.

Builds the records once with tests/support/record_builder.py (worker processes, cached
under bench/out/verify-record-<n>/, which git ignores; the issuer key is cached too),
then runs ``stimmwerk verify PATH --quiet`` in a subprocess per run and reports, from
``os.wait4`` of that child: wall time, ballots per second, the extrapolation to 400,000
ballots on this machine, and the peak RSS (``ru_maxrss`` covers the verifier and its
worker processes; the largest single process counts). The target (docs/verifier.md):
400,000 ballots in at most 10 minutes on 2 cores, peak memory for 100,000 ballots within
20 % of that for 10,000.

Run: ``.venv/bin/python bench/verify_record.py [--sizes 10000 100000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout

from crypto.blind_rsa import BlindRsaPrivateKey  # noqa: E402
from tests.support.record_builder import build_record  # noqa: E402

OUT = ROOT / "bench" / "out"
TARGET_BALLOTS = 400_000
TARGET_MINUTES = 10.0


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float
    """User + system time of the verifier and its (waited-for) worker processes."""
    max_rss_mib: float
    status: int


def issuer() -> BlindRsaPrivateKey:
    """One 3072-bit issuer key for all bench records, kept in bench/out."""
    path = OUT / "verify-record-issuer.pem"
    if path.exists():
        return BlindRsaPrivateKey.from_pem(path.read_bytes())
    key = BlindRsaPrivateKey.generate(3072)
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.to_pem())
    return key


def record(ballots: int) -> Path:
    """The cached record of ``ballots`` ballots (built on first use)."""
    path = OUT / f"verify-record-{ballots}"
    done = path / ".complete"
    if done.exists():
        return path
    print(f"building a {ballots:,}-ballot record in {path} (cached for later runs) …", flush=True)
    started = time.perf_counter()
    build_record(
        path,
        voters=ballots,
        eligible=ballots + ballots // 4,
        postal_registered=ballots // 20,
        workers=os.cpu_count() or 1,
        issuer=issuer(),
    )
    done.write_text("built\n")
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def verify(path: Path, workers: int) -> Run:
    """One ``stimmwerk verify`` in a child process, timed, with its peak RSS."""
    command = [str(ROOT / ".venv" / "bin" / "stimmwerk"), "verify", str(path), "--quiet"]
    command += ["--workers", str(workers)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    assert child.stdout is not None
    output = child.stdout.read().decode()
    child.stdout.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(output)
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code)


def report(ballots: int, runs: list[Run], cores: int) -> float:
    """Print one size's medians; return its peak RSS (MiB)."""
    seconds = statistics.median(run.seconds for run in runs)
    cpu = statistics.median(run.cpu_seconds for run in runs)
    rss = statistics.median(run.max_rss_mib for run in runs)
    wall_minutes = TARGET_BALLOTS * seconds / ballots / 60
    cpu_minutes = TARGET_BALLOTS * cpu / ballots / cores / 60
    print(
        f"{ballots:>8,} ballots (median of {len(runs)}): wall {seconds:6.1f} s = "
        f"{ballots / seconds:5.0f} ballots/s → {wall_minutes:5.1f} min for 400,000; "
        f"CPU {1000 * cpu / ballots:4.2f} ms/ballot → {cpu_minutes:5.1f} min on {cores} free cores "
        f"(target ≤ {TARGET_MINUTES:.0f}); peak RSS {rss:5.1f} MiB; "
        f"exit {sorted({run.status for run in runs})}"
    )
    print(
        "          runs: "
        + ", ".join(f"{r.seconds:.1f} s / {r.cpu_seconds:.1f} s CPU" for r in runs)
    )
    return rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3, help="runs for records below 50,000")
    parser.add_argument("--large-runs", type=int, default=1, help="runs for larger records")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    paths = {size: record(size) for size in args.sizes}
    if args.build_only:
        return
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"load average before: {os.getloadavg()} (other jobs inflate the figures)")
    print(f"verifier workers: {args.workers}")
    peaks: dict[int, float] = {}
    for size, path in paths.items():
        runs = [
            verify(path, args.workers)
            for _ in range(args.runs if size < 50_000 else args.large_runs)
        ]
        peaks[size] = report(size, runs, os.cpu_count() or 1)
    if len(peaks) > 1:
        small, large = min(peaks), max(peaks)
        growth = 100 * (peaks[large] / peaks[small] - 1)
        print(f"peak RSS {large:,} vs {small:,} ballots: {growth:+.1f} % (target within ±20 %)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
