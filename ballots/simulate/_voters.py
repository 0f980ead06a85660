"""The simulated voters: each gets a credential from the issuing service and makes a ballot.

In a worker process a voter batch talks to the database over its own connection, as
another app process would; ``workers=1`` runs the same code in the calling process.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.core.db import Database
from app.core.settings import Settings
from ballots import client, services
from ballots.ballot_check import ElectionKeys
from ballots.manifest import Manifest
from ballots.simulate._config import SimulationError

Choices = dict[str, tuple[str, ...]]
Job = tuple[int, Choices]
"""a member id and what the member will choose."""


@dataclass(frozen=True)
class VoterContext:
    """What a voter process needs: the public election data and the server's database."""

    keys: ElectionKeys
    settings: Settings
    election_id: uuid.UUID
    now: datetime


_context: tuple[VoterContext, Database] | None = None


def _init_worker(context: VoterContext, database: Database | None = None) -> None:
    global _context  # noqa: PLW0603 - one election per worker process
    _context = (context, database or Database(context.settings.database.url))


def random_choices(manifest: Manifest, rng: random.Random) -> Choices:
    choices: Choices = {}
    for question in manifest.questions:
        size = rng.randint(question.min_selections, question.max_selections)
        choices[question.id] = tuple(rng.sample(question.option_ids, size))
    return choices


def vote_batch(jobs: Sequence[Job]) -> list[dict[str, Any]]:
    """A batch of voters (in a worker): credential from the service, then the ballot."""
    assert _context is not None
    context, database = _context
    with database.session() as session:
        return [credential_and_ballot(session, context, *job) for job in jobs]


def credential_and_ballot(
    session: Session,
    context: VoterContext,
    member_id: int,
    choices: Mapping[str, tuple[str, ...]],
    *,
    audit: bool = False,
) -> dict[str, Any]:
    """One voter's client: credential request, issuance (server), ballot, signature."""
    keys = context.keys
    request = client.request_credential(keys.issuer, keys.manifest.election_id)
    signature = services.issue_credential(
        session,
        context.settings,
        context.election_id,
        member_id,
        request.blinded_msg,
        now=context.now,
    )
    credential = client.finish_credential(keys.issuer, request, signature)
    if audit:
        benaloh_audit(keys, credential, choices)
    return client.make_ballot(keys, credential, choices)


def benaloh_audit(
    keys: ElectionKeys, credential: client.Credential, choices: Mapping[str, tuple[str, ...]]
) -> None:
    """Cast-or-audit: a spoiled ballot's openings must show exactly the voter's choices."""
    spoiled = client.spoil(client.encrypt_ballot(keys, credential, choices))
    shown = client.verify_audit(keys, spoiled)
    wanted = {
        q.id: tuple(o for o in q.option_ids if o in choices[q.id]) for q in keys.manifest.questions
    }
    if shown != wanted:
        raise SimulationError("the Benaloh audit does not show the voter's choices")


class InlineExecutor:
    """The pool's interface, run in this process (``workers=1``, tests)."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args))
        return future

    def shutdown(self) -> None:
        return None


def voter_pool(
    workers: int, context: VoterContext, database: Database
) -> Executor | InlineExecutor:
    if workers <= 1:
        _init_worker(context, database)
        return InlineExecutor()
    return ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(context,))
