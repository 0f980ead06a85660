"""The simulated election, step by step, on the virtual clock."""

from __future__ import annotations

import random
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.core.db import utcnow
from ballots import client, services, trustee_tool
from ballots.ballot_check import ElectionKeys
from ballots.errors import AlreadyVoted
from ballots.manifest import ElectionDraft
from ballots.models import Election
from ballots.record_writer import write_record
from ballots.simulate._config import SimulationConfig, SimulationError, SimulationResult
from ballots.simulate._voters import (
    Job,
    VoterContext,
    credential_and_ballot,
    random_choices,
    vote_batch,
    voter_pool,
)
from ballots.simulate._world import UNIT_CODE, World, make_world
from ballots.tally import PostalLine

Log = Callable[[str], None]
_BATCH = 100


@dataclass
class _Run:
    config: SimulationConfig
    world: World
    scratch: Path
    log: Log
    rng: random.Random
    start: datetime = field(default_factory=lambda: utcnow().replace(microsecond=0))
    timings: dict[str, float] = field(default_factory=dict)
    key_files: list[tuple[Path, str]] = field(default_factory=list)

    def at(self, days: float) -> datetime:
        """The virtual clock: cut-off after 1 day, opening after 2, closing after 9."""
        return self.start + timedelta(days=days)

    @contextmanager
    def phase(self, name: str) -> Iterator[Session]:
        started = time.perf_counter()
        with self.world.database.session() as session:
            yield session
        self.timings[name] = time.perf_counter() - started


def run_simulation(config: SimulationConfig, log: Log = print) -> SimulationResult:
    """Run one election end to end and write its record to ``config.out``."""
    with tempfile.TemporaryDirectory(prefix="stimmwerk-sim-") as scratch:
        world = make_world(config, Path(scratch))
        rng = random.Random(config.seed)  # noqa: S311 - simulated choices, not secrets
        run = _Run(config, world, Path(scratch), log, rng)
        try:
            return _simulate(run)
        finally:
            world.database.dispose()


def _simulate(run: _Run) -> SimulationResult:
    world = run.world
    with run.phase("setup+ceremony") as session:
        election = _create(session, run)
        _ceremony(session, run, election.id)
        services.freeze_roll(session, election.id, world.staff, now=run.at(1))
        services.open_election(session, world.settings, election.id, world.staff, now=run.at(2))
        keys = services.election_keys(session, election)
    with run.phase("credentials+casting") as session:
        expected = _vote(session, run, election.id, keys)
    with run.phase("close+tally+record") as session:
        services.close_election(session, election.id, None, now=run.at(9))
        postal = _postal(session, run, election.id, keys)
        for trustee, (path, passphrase) in list(zip(world.trustees, run.key_files, strict=True))[
            : run.config.threshold
        ]:
            trustee_tool.decrypt_tally(
                session, election.id, trustee, path=path, passphrase=passphrase
            )
        tallied = services.tally_election(session, election.id, world.commission[0], now=run.at(10))
        write_record(session, election.id, run.config.out)
    assert tallied.tally is not None
    _check_result(tallied.tally, expected, postal)
    _report(run, tallied)
    return SimulationResult(election.id, tallied.tally, expected, run.timings, run.config.out)


def _create(session: Session, run: _Run) -> Election:
    config = run.config
    draft = ElectionDraft(
        title="Simulierter Mitgliederentscheid",
        description="Eine Simulation mit erfundenen Mitgliedern.",
        unit_code=UNIT_CODE,
        unit_name="",
        cutoff_at=run.at(1),
        opens_at=run.at(2),
        closes_at=run.at(9),
        questions=config.questions,
        trustees=config.trustees,
        threshold=config.threshold,
        quorum_percent=config.quorum_percent,
    )
    return services.create_election(
        session,
        run.world.settings,
        run.world.staff,
        draft,
        [account.id for account in run.world.trustees],
        now=run.start,
        issuer_key=config.issuer_key,
    )


def _ceremony(session: Session, run: _Run, election_id: uuid.UUID) -> None:
    """Each trustee: key file, dealing, checking the shares received (in three rounds)."""
    run.key_files = [
        (run.scratch / f"trustee-{i + 1}.key", secrets.token_urlsafe(16))
        for i in range(run.config.trustees)
    ]
    steps = (trustee_tool.init_trustee, trustee_tool.deal_shares, trustee_tool.check_shares)
    for step in steps:
        for account, (path, passphrase) in zip(run.world.trustees, run.key_files, strict=True):
            step(
                session,
                election_id,
                account,
                path=path,
                passphrase=passphrase,
                limits=run.config.kdf,
            )


def _vote(
    session: Session, run: _Run, election_id: uuid.UUID, keys: ElectionKeys
) -> list[list[int]]:
    """Every online voter gets a credential and casts; returns the counts cast."""
    manifest = keys.manifest
    expected = [[0 for _ in q.option_ids] for q in manifest.questions]
    jobs: list[Job] = []
    for member_id in run.world.online_members:
        choices = random_choices(manifest, run.rng)
        jobs.append((member_id, choices))
        for q, question in enumerate(manifest.questions):
            for o, option in enumerate(question.option_ids):
                expected[q][o] += option in choices[question.id]
    if not jobs:
        return expected
    context = VoterContext(keys, run.world.settings, election_id, run.at(3))
    # The first voter challenges one ballot (Benaloh) before casting a fresh one.
    first = credential_and_ballot(session, context, *jobs[0], audit=True)
    _cast(session, run, election_id, keys, [first])
    pool = voter_pool(run.config.workers, context, run.world.database)
    try:
        batches = [jobs[i : i + _BATCH] for i in range(1, len(jobs), _BATCH)]
        for future in [pool.submit(vote_batch, batch) for batch in batches]:
            _cast(session, run, election_id, keys, future.result())
    finally:
        pool.shutdown()
    _replay(session, run, election_id, first)
    return expected


def _cast(
    session: Session,
    run: _Run,
    election_id: uuid.UUID,
    keys: ElectionKeys,
    ballots: Sequence[dict[str, Any]],
) -> None:
    """The server takes each ballot (no login); the voter checks the receipt."""
    board_key = services.get_election(session, election_id).board_public_key
    for ballot in ballots:
        receipt = services.cast_ballot(
            session, run.world.settings, election_id, client.ballot_bytes(ballot), now=run.at(3)
        )
        if not client.check_receipt(receipt, ballot, board_key, keys.manifest):
            raise SimulationError(f"receipt {receipt.index} does not check")


def _replay(session: Session, run: _Run, election_id: uuid.UUID, ballot: dict[str, Any]) -> None:
    try:
        services.cast_ballot(
            session, run.world.settings, election_id, client.ballot_bytes(ballot), now=run.at(3)
        )
    except AlreadyVoted:
        run.log("replayed ballot refused: a credential counts once")
        return
    raise SimulationError("a replayed ballot was accepted")


def _postal(session: Session, run: _Run, election_id: uuid.UUID, keys: ElectionKeys) -> PostalLine:
    """Most postal voters send an envelope; two commission members enter the counts."""
    postal = run.world.postal_members
    if not postal:
        return PostalLine.zeros(keys.manifest)
    rng = run.rng
    envelopes = postal - rng.randint(0, postal // 10)
    counts, invalid = [], []
    for question in keys.manifest.questions:
        bad = rng.randint(0, envelopes // 20)
        row = [0 for _ in question.option_ids]
        for _ in range(envelopes - bad):
            size = rng.randint(question.min_selections, question.max_selections)
            for option in rng.sample(range(len(row)), size):
                row[option] += 1
        counts.append(tuple(row))
        invalid.append(bad)
    line = PostalLine(tuple(counts), tuple(invalid), envelopes)
    # Record §7.3: two different trustees sign the line with their key files.
    if len(run.key_files) < 2:  # noqa: PLR2004
        raise SimulationError("postal votes need two trustees to enter and confirm them")
    for step, account, (path, passphrase) in zip(
        ("entered", "confirmed"), run.world.trustees, run.key_files, strict=False
    ):
        trustee_tool.postal_step(
            session,
            election_id,
            account,
            line,
            step,
            path=path,
            passphrase=passphrase,
            now=run.at(9.5),
        )
    return line


def _check_result(tally: Mapping[str, Any], expected: list[list[int]], postal: PostalLine) -> None:
    for q, question in enumerate(tally["questions"]):
        if question["online"] != expected[q]:
            raise SimulationError(f"online counts {question['online']} != cast {expected[q]}")
        wanted = [a + b for a, b in zip(expected[q], postal.counts[q], strict=True)]
        if question["result"] != wanted:
            raise SimulationError(f"result {question['result']} != {wanted}")


def _report(run: _Run, election: Election) -> None:
    tally = election.tally
    assert tally is not None
    turnout = tally["turnout"]
    run.log(
        f"roll: eligible {election.eligible_count}, postal {election.postal_count}; "
        f"credentials {len(run.world.online_members)}; ballots {tally['ballots_counted']}"
    )
    for question in tally["questions"]:
        run.log(
            f"{question['question']}: online {question['online']} + postal "
            f"{question['postal']['counts']} (invalid {question['postal']['invalid']}) "
            f"= result {question['result']}"
        )
    percent = turnout["percent_x100"]
    run.log(
        f"turnout {turnout['participants']}/{turnout['eligible']} = "
        f"{percent // 100}.{percent % 100:02d} %; "
        f"quorum met: {tally['quorum_met']}; binding: {tally['binding']}"
    )
    run.log("timings: " + ", ".join(f"{name} {s:.1f} s" for name, s in run.timings.items()))
