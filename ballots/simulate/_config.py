"""What a simulation is asked to do, and what it reports."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ballots.keyfile import INTERACTIVE_LIMITS, KdfLimits
from ballots.manifest import OptionDraft, QuestionDraft
from crypto.blind_rsa import BlindRsaPrivateKey


class SimulationError(RuntimeError):
    """The simulated election did not come out as the simulated voters voted."""


def parse_question(index: int, spec: str) -> QuestionDraft:
    """``yes_no_abstain``, ``one_of:N`` or ``up_to:K/N`` → a question with N options."""
    qid, text = f"q{index + 1}", f"Frage {index + 1}"
    method, _, size = spec.partition(":")
    if method == "yes_no_abstain" and not size:
        return QuestionDraft(qid, text, method)
    if method == "one_of" and size.isdigit():
        return QuestionDraft(qid, text, method, _options(int(size)))
    k, _, n = size.partition("/")
    if method == "up_to" and k.isdigit() and n.isdigit():
        return QuestionDraft(qid, text, method, _options(int(n)), max_selections=int(k))
    raise ValueError(f"unknown question spec {spec!r}: use yes_no_abstain, one_of:N or up_to:K/N")


def _options(count: int) -> tuple[OptionDraft, ...]:
    return tuple(OptionDraft(f"o{i + 1}", f"Option {i + 1}") for i in range(count))


@dataclass(frozen=True)
class SimulationConfig:
    voters: int
    """members who get a credential and vote online."""
    trustees: int
    threshold: int
    out: Path
    """the record directory; ``<out>.zip`` is written beside it."""
    postal: int = 0
    """members registered for postal voting."""
    non_voters: int = 0
    """online-eligible members who do not vote."""
    questions: tuple[QuestionDraft, ...] = (QuestionDraft("q1", "Frage 1", "yes_no_abstain"),)
    quorum_percent: int | None = 20
    seed: int | None = None
    """seed of the simulated choices (None: random)."""
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    """voter processes; 1 runs the voters in this process."""
    kdf: KdfLimits = INTERACTIVE_LIMITS
    issuer_key: BlindRsaPrivateKey | None = None
    """reuse an issuer key (tests); None makes a fresh one as a real election does."""


@dataclass(frozen=True)
class SimulationResult:
    election_id: uuid.UUID
    tally: Mapping[str, Any]
    expected: list[list[int]]
    """the online counts the simulated voters cast, per question and option."""
    timings: dict[str, float]
    record: Path
