"""Benchmark the ballot core: client, server, issuance and the independent verifier.

Run: ``.venv/bin/python bench/ballot_core.py [--runs 5] [--sizes 10000 100000]``.
Prints the machine and medians over ``--runs`` runs; asserts nothing. Figures:

1. client: encrypt + prove + sign one yes/no/abstain ballot (`ballots.client`);
2. server: ``cast_ballot`` per ballot (every check, the board append, the checkpoint
   signature, the insert and commit) on a scratch SQLite election made by the real
   services;
3. issuance: raw RFC 9474 blind signing per credential, and the ``issue_credential``
   service (roll lookup, conditional UPDATE, audit event, commit) on one core and on
   two processes;
4. verifier: ``stimmwerk verify`` (``ballots.verifier.verify_record``, one worker per
   core) on records of each size, run in a subprocess: wall time, ballots/s, minutes
   extrapolated to 400,000 ballots, and peak memory (ru_maxrss of the verifier process
   and of its largest worker).

The records for (4) are built here, once, and cached under ``bench/out/records/``:
every ballot is a distinct, valid ballot of its own credential (a fresh Ed25519 key,
blind-signed by the issuer, encrypted and proven by the client library), made in a
process pool. The smaller record is the first ballots of the larger one with its own
board, tally and checkpoints, so both are complete, valid records.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import nacl

from ballots import board, client, services, tally
from ballots.ballot_check import ElectionKeys
from ballots.codec import commitments_from_json, commitments_json, point_json
from ballots.manifest import ElectionDraft, QuestionDraft, build_manifest
from ballots.services import roll_commitment, roll_entry
from ballots.simulate import SimulationConfig
from ballots.simulate._voters import VoterContext
from ballots.simulate._world import UNIT_CODE, make_world
from crypto import blind_rsa
from crypto.blind_rsa import BlindRsaPrivateKey
from crypto.canonical import canonical_json
from crypto.elgamal import Ciphertext, SecretKey, generate_keypair
from crypto.group import Point, Scalar
from crypto.merkle import leaf_hash
from crypto.threshold import (
    Dealing,
    ThresholdParameters,
    combine_shares,
    deal,
    decrypt,
    joint_public_key,
    partial_decrypt,
)

OUT = Path(__file__).resolve().parent / "out" / "records"
YES_NO = QuestionDraft("q1", "Soll die Satzung geändert werden?", "yes_no_abstain")
TARGET_BALLOTS = 400_000
TRUSTEES, THRESHOLD = 3, 2
CHUNK = 250


def median(func: Callable[[], float], runs: int) -> float:
    return statistics.median(func() for _ in range(runs))


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"machine: {model}, {os.cpu_count()} cores, {platform.platform()}; "
        f"python {platform.python_version()}, PyNaCl {nacl.__version__}; load avg {load:.2f}"
    )


# -- 1. client ---------------------------------------------------------------------------


def _draft(questions: tuple[QuestionDraft, ...] = (YES_NO,)) -> ElectionDraft:
    return ElectionDraft(
        title="Benchmark",
        description="",
        unit_code=UNIT_CODE,
        unit_name="Landesverband Simulation",
        cutoff_at=datetime(2026, 11, 1, tzinfo=UTC),
        opens_at=datetime(2026, 11, 10, tzinfo=UTC),
        closes_at=datetime(2026, 11, 24, tzinfo=UTC),
        questions=questions,
        trustees=TRUSTEES,
        threshold=THRESHOLD,
        quorum_percent=20,
    )


def bench_client(issuer: BlindRsaPrivateKey, runs: int, count: int) -> float:
    keys = ElectionKeys(
        build_manifest(_draft(), str(uuid.uuid4())),
        generate_keypair().public,
        issuer.public_key,
    )
    credentials = [_credential(issuer, keys) for _ in range(count)]

    def one_run() -> float:
        started = time.perf_counter()
        for credential in credentials:
            client.make_ballot(keys, credential, {"q1": ["yes"]})
        return (time.perf_counter() - started) / count

    return median(one_run, runs)


def _credential(issuer: BlindRsaPrivateKey, keys: ElectionKeys) -> client.Credential:
    request = client.request_credential(issuer.public_key, keys.manifest.election_id)
    answer = blind_rsa.blind_sign(issuer, request.blinded_msg)
    return client.finish_credential(issuer.public_key, request, answer)


# -- 2 and 3. server ---------------------------------------------------------------------


def bench_server(issuer: BlindRsaPrivateKey, runs: int, count: int) -> dict[str, float]:
    """Issuance and casting through the real services on a scratch SQLite election."""
    figures: dict[str, list[float]] = {"issue": [], "cast": [], "issue2": []}
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-ballots-") as scratch:
            one = _server_run(issuer, Path(scratch), count)
        for name, value in one.items():
            figures[name].append(value)
    return {name: statistics.median(values) for name, values in figures.items()}


def _server_run(issuer: BlindRsaPrivateKey, scratch: Path, count: int) -> dict[str, float]:
    from ballots.simulate._run import _ceremony, _create, _Run

    config = SimulationConfig(
        voters=3 * count,
        trustees=TRUSTEES,
        threshold=THRESHOLD,
        out=scratch / "r",
        workers=1,
        issuer_key=issuer,
    )
    world = make_world(config, scratch)
    run = _Run(config, world, scratch, print, random.Random(1))
    try:
        with world.database.session() as session:
            election = _create(session, run)
            _ceremony(session, run, election.id)
            services.freeze_roll(session, election.id, None, now=run.at(1))
            services.open_election(session, world.settings, election.id, None, now=run.at(2))
            keys = services.election_keys(session, election)
            context = VoterContext(keys, world.settings, election.id, run.at(3))
            requests = [
                client.request_credential(keys.issuer, str(election.id)) for _ in range(count)
            ]
            members = world.online_members
            started = time.perf_counter()
            answers = [
                services.issue_credential(
                    session, world.settings, election.id, m, r.blinded_msg, now=context.now
                )
                for m, r in zip(members[:count], requests, strict=True)
            ]
            issue = (time.perf_counter() - started) / count
            ballots = [
                client.ballot_bytes(
                    client.make_ballot(
                        keys, client.finish_credential(keys.issuer, r, a), {"q1": ["no"]}
                    )
                )
                for r, a in zip(requests, answers, strict=True)
            ]
            started = time.perf_counter()
            for ballot in ballots:
                services.cast_ballot(session, world.settings, election.id, ballot, now=context.now)
            cast = (time.perf_counter() - started) / count
        issue2 = _issue_in_two_processes(
            world.settings, election.id, keys, members[count : 3 * count], context.now
        )
    finally:
        world.database.dispose()
    return {"issue": issue, "cast": cast, "issue2": issue2}


def _issue_many(args: tuple[Any, uuid.UUID, ElectionKeys, list[int], datetime]) -> int:
    settings, election_id, keys, members, now = args
    from app.core.db import Database

    database = Database(settings.database.url)
    with database.session() as session:
        for member in members:
            request = client.request_credential(keys.issuer, str(election_id))
            services.issue_credential(
                session, settings, election_id, member, request.blinded_msg, now=now
            )
    database.dispose()
    return len(members)


def _issue_in_two_processes(
    settings: Any, election_id: uuid.UUID, keys: ElectionKeys, members: list[int], now: datetime
) -> float:
    """Seconds per credential when two app processes issue at once (wall / count)."""
    halves = [members[0::2], members[1::2]]
    with ProcessPoolExecutor(2) as pool:
        started = time.perf_counter()
        done = sum(
            pool.map(_issue_many, [(settings, election_id, keys, half, now) for half in halves])
        )
        return (time.perf_counter() - started) / done


def bench_blind_sign(issuer: BlindRsaPrivateKey, runs: int, count: int) -> float:
    prepared = blind_rsa.prepare(issuer.public_key, b"benchmark credential message")
    blinded = blind_rsa.blind(issuer.public_key, prepared).blinded_msg

    def one_run() -> float:
        started = time.perf_counter()
        for _ in range(count):
            blind_rsa.blind_sign(issuer, blinded)
        return (time.perf_counter() - started) / count

    return median(one_run, runs)


def _sign_many(args: tuple[BlindRsaPrivateKey, bytes, int]) -> int:
    issuer, blinded, count = args
    for _ in range(count):
        blind_rsa.blind_sign(issuer, blinded)
    return count


def bench_blind_sign_processes(issuer: BlindRsaPrivateKey, runs: int, count: int) -> float:
    """Credentials per second with one signing process per core."""
    prepared = blind_rsa.prepare(issuer.public_key, b"benchmark credential message")
    blinded = blind_rsa.blind(issuer.public_key, prepared).blinded_msg
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_sign_many, [(issuer, blinded, 2)] * workers))  # start and load the key

        def one_run() -> float:
            started = time.perf_counter()
            done = sum(pool.map(_sign_many, [(issuer, blinded, count)] * workers))
            return done / (time.perf_counter() - started)

        return median(one_run, runs)


# -- 4. record builder -------------------------------------------------------------------


_builder: tuple[BlindRsaPrivateKey, ElectionKeys] | None = None


def _init_builder(issuer: BlindRsaPrivateKey, keys: ElectionKeys) -> None:
    global _builder  # noqa: PLW0603 - one record per worker
    _builder = (issuer, keys)


def _make_ballots(seeds: Sequence[int]) -> list[bytes]:
    """Distinct valid ballots: each its own credential, blind-signed, encrypted, proven."""
    assert _builder is not None
    issuer, keys = _builder
    lines = []
    for seed in seeds:
        choice = ("yes", "no", "abstain")[seed % 3]
        credential = _credential(issuer, keys)
        lines.append(client.ballot_bytes(client.make_ballot(keys, credential, {"q1": [choice]})))
    return lines


def build_records(sizes: Sequence[int]) -> dict[int, Path]:
    """Records of each size (cached): the smaller ones are prefixes of the largest."""
    largest = max(sizes)
    paths = {size: OUT / f"record-{size}" for size in sizes}
    if all((p / "tally.json").exists() for p in paths.values()) and _same_election(paths.values()):
        return paths
    OUT.mkdir(parents=True, exist_ok=True)
    setup = _election_setup()
    lines_file = OUT / f"ballots-{largest}.jsonl"
    meta = OUT / f"ballots-{largest}.json"
    if not (
        lines_file.exists()
        and meta.exists()
        and json.loads(meta.read_text())["election_id"] == setup["manifest"].election_id
    ):
        _generate_lines(setup, largest, lines_file)
        meta.write_text(json.dumps({"election_id": setup["manifest"].election_id}))
    for size in sizes:
        _write_record(setup, lines_file, size, paths[size])
    return paths


def _same_election(paths: Any) -> bool:
    ids = {json.loads((p / "manifest.json").read_text())["election_id"] for p in paths}
    return len(ids) == 1


def _election_setup() -> dict[str, Any]:
    """One election's keys, cached with the ballots so that a cached record stays valid:
    manifest, the trustees' polynomials and public commitments, issuer and board keys."""
    cache = OUT / "election.json"
    if cache.exists():
        saved = json.loads(cache.read_text())
        issuer = BlindRsaPrivateKey.from_pem(saved["issuer"].encode())
        election_id, board_seed = saved["election_id"], bytes.fromhex(saved["board_seed"])
        manifest = build_manifest(_draft(), election_id)
        dealings = [
            Dealing(i, tuple(Scalar.decode(bytes.fromhex(c)) for c in row))
            for i, row in enumerate(saved["coefficients"], start=1)
        ]
        commitments = [commitments_from_json(c, THRESHOLD) for c in saved["commitments"]]
    else:
        issuer = BlindRsaPrivateKey.generate()
        election_id, board_seed = str(uuid.uuid4()), secrets.token_bytes(32)
        manifest = build_manifest(_draft(), election_id)
        params = ThresholdParameters(THRESHOLD, TRUSTEES, manifest.hash)
        dealt = [deal(params, i) for i in range(1, TRUSTEES + 1)]
        dealings = [d for d, _ in dealt]
        commitments = [c for _, c in dealt]
        cache.write_text(
            json.dumps(
                {
                    "issuer": issuer.to_pem().decode(),
                    "election_id": election_id,
                    "board_seed": board_seed.hex(),
                    "coefficients": [[c.encoded.hex() for c in d.coefficients] for d in dealings],
                    "commitments": [commitments_json(c) for c in commitments],
                }
            )
        )
        cache.chmod(0o600)
    params = ThresholdParameters(THRESHOLD, TRUSTEES, manifest.hash)
    shares = {
        j: SecretKey(combine_shares(d.share_for(j) for d in dealings))
        for j in range(1, TRUSTEES + 1)
    }
    joint = joint_public_key(commitments)
    return {
        "manifest": manifest,
        "params": params,
        "issuer": issuer,
        "commitments": commitments,
        "shares": shares,
        "joint": joint,
        "board_seed": board_seed,
        "keys": ElectionKeys(manifest, joint, issuer.public_key),
    }


def _generate_lines(setup: dict[str, Any], count: int, path: Path) -> None:
    started = time.perf_counter()
    chunks = [range(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]
    workers = os.cpu_count() or 1
    with (
        ProcessPoolExecutor(
            workers, initializer=_init_builder, initargs=(setup["issuer"], setup["keys"])
        ) as pool,
        path.open("wb") as out,
    ):
        for done, lines in enumerate(pool.map(_make_ballots, [list(c) for c in chunks]), start=1):
            for line in lines:
                out.write(line + b"\n")
            if done % 40 == 0:
                print(
                    f"  generated {done * CHUNK} of {count} ballots "
                    f"({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
    print(
        f"  generated {count} distinct valid ballots in {time.perf_counter() - started:.0f} s "
        f"on {workers} processes"
    )


def _lines(path: Path, count: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        for index, line in enumerate(handle):
            if index == count:
                return
            yield line.rstrip(b"\n")


def _write_record(setup: dict[str, Any], lines_file: Path, size: int, out: Path) -> None:
    manifest = setup["manifest"]
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    signer = board.signer(manifest.board_origin, setup["board_seed"])
    state = board.BoardState.empty()
    aggregate = tally.empty_aggregate(manifest)
    credentials: list[str] = []
    with (
        (tmp / "ballots.jsonl").open("wb") as ballots,
        (tmp / "checkpoints.jsonl").open("wb") as checkpoints,
    ):
        checkpoints.write(canonical_json({"note": board.sign_empty(signer)}) + b"\n")
        for line in _lines(lines_file, size):
            ballots.write(line + b"\n")
            parsed = json.loads(line)
            credentials.append(parsed["credential"]["public_key"])
            tally.add_ballot(
                aggregate,
                [
                    [
                        Ciphertext(
                            Point(bytes.fromhex(c["alpha"])), Point(bytes.fromhex(c["beta"]))
                        )
                        for c in a["ciphertexts"]
                    ]
                    for a in parsed["answers"]
                ],
            )
            appended = board.append(state, leaf_hash(line), signer)
            state = appended.state
            checkpoints.write(canonical_json({"note": appended.note}) + b"\n")
    eligible, postal = size + size // 4, size // 20
    election_id = manifest.election_id
    entries = sorted(
        roll_entry(election_id, secrets.token_hex(32), f"B{n:08d}")
        for n in range(eligible - postal)
    )
    issued = sorted(random.Random(size).sample(entries, size))
    params, shares = setup["params"], setup["shares"]
    partials = {
        j: [[partial_decrypt(params, j, shares[j], c) for c in row] for row in aggregate]
        for j in (1, 2)
    }
    online = [
        [
            decrypt(params, c, [partials[j][q][o] for j in (1, 2)], bound=max(size, 1))
            for o, c in enumerate(row)
        ]
        for q, row in enumerate(aggregate)
    ]
    assert all(v is not None for row in online for v in row)
    document = tally.tally_document(
        tally.TallyInput(
            manifest=manifest,
            ballots_counted=size,
            aggregate=aggregate,
            partials=partials,
            online=online,  # type: ignore[arg-type]
            postal=_postal(postal),
            eligible=eligible,
        )
    )
    files = {
        "manifest.json": manifest.raw,
        "keys.json": {
            "manifest_hash": manifest.hash_hex,
            "trustees": [commitments_json(c) for c in setup["commitments"]],
            "joint_public_key": point_json(setup["joint"]),
            "issuer": {
                "variant": "RSABSSA-SHA384-PSS-Randomized",
                "public_key_spki": setup["issuer"].public_key.to_der().hex(),
            },
            "board_public_key": signer.secret_key.public_key.hex(),
        },
        "roll.json": {
            "cutoff_at": manifest.raw["cutoff_at"],
            "eligible": eligible,
            "postal": postal,
            "entries": entries,
            "commitment": roll_commitment(entries),
        },
        "issuance.json": {"issued": size, "entries": issued},
        "tally.json": document,
    }
    for name, value in files.items():
        (tmp / name).write_bytes(canonical_json(value))
    assert len(set(credentials)) == size, "credentials must be distinct"
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print(f"  wrote record of {size} ballots to {out}")


def _postal(postal: int) -> tally.PostalLine:
    envelopes = postal * 9 // 10
    yes = envelopes // 2
    return tally.PostalLine(((yes, envelopes - yes, 0),), (0,), envelopes)


# -- 4. verifier -------------------------------------------------------------------------

_VERIFY = """
import resource, sys, time
from ballots.verifier import verify_record
started = time.perf_counter()
with open('/dev/null', 'w') as sink:
    status = verify_record(sys.argv[1], workers=int(sys.argv[2]), quiet=True, out=sink)
wall = time.perf_counter() - started
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(status, wall, own, children)
"""


def bench_verifier(path: Path, workers: int) -> tuple[int, float, int, int]:
    """(exit status, wall seconds, peak KiB of the verifier, peak KiB of its largest worker)."""
    result = subprocess.run(
        [sys.executable, "-c", _VERIFY, str(path), str(workers)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    status, wall, own, children = result.stdout.split()
    return int(status), float(wall), int(own), int(children)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--verifier-runs", type=int, default=3, help="runs per record size")
    parser.add_argument("--skip-verifier", action="store_true")
    args = parser.parse_args()
    print(machine())
    issuer = BlindRsaPrivateKey.generate()
    per_ballot = bench_client(issuer, args.runs, 60)
    print(
        f"client encrypt+prove+sign, yes/no/abstain ballot: {per_ballot * 1e3:.2f} ms "
        f"(median of {args.runs})"
    )
    sign = bench_blind_sign(issuer, args.runs, 200)
    print(
        f"blind signing (RFC 9474 BlindSign, 3072 bit), one core: {sign * 1e3:.2f} ms "
        f"= {1 / sign:.0f} credentials/s"
    )
    parallel = bench_blind_sign_processes(issuer, args.runs, 100)
    print(f"blind signing, {os.cpu_count()} processes: {parallel:.0f} credentials/s")
    server = bench_server(issuer, max(1, args.runs // 2), 150)
    print(
        "issue_credential service (sign + roll UPDATE + audit + commit, SQLite), one process: "
        f"{server['issue'] * 1e3:.2f} ms = {1 / server['issue']:.0f}/s"
    )
    print(
        f"issue_credential service, two processes at once: {1 / server['issue2']:.0f} credentials/s"
    )
    print(
        "cast_ballot service (all checks + board append + checkpoint + insert + commit, "
        f"SQLite): {server['cast'] * 1e3:.2f} ms = {1 / server['cast']:.0f} ballots/s"
    )
    if args.skip_verifier:
        return
    import importlib.util

    if importlib.util.find_spec("ballots.verifier") is None:
        print("verifier: ballots.verifier is not there yet; skipped")
        return
    records = build_records(args.sizes)
    workers = os.cpu_count() or 1
    for size, path in sorted(records.items()):
        runs = [bench_verifier(path, workers) for _ in range(args.verifier_runs)]
        assert all(status == 0 for status, *_ in runs), f"the {size}-ballot record did not verify"
        wall = statistics.median(r[1] for r in runs)
        own = max(r[2] for r in runs) / 1024
        child = max(r[3] for r in runs) / 1024
        rate = size / wall
        minutes = TARGET_BALLOTS / rate / 60
        print(
            f"verifier, {size} ballots, {workers} workers: {wall:.1f} s = {rate:.0f} ballots/s "
            f"= {wall / size * 1e3 * workers:.2f} ms per ballot per core; "
            f"400,000 ballots ≈ {minutes:.1f} min; peak memory: verifier {own:.0f} MiB, "
            f"largest worker {child:.0f} MiB (median/max of {len(runs)})"
        )


if __name__ == "__main__":
    main()
