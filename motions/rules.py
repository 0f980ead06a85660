"""The rules of initiatives as data: versions per unit, inherited down the tree.

A unit's rules are its own newest version valid on the day asked about; without one,
its parent's, up to the root; without any at all, `DEFAULTS` (taken from the SPD
statute, which an operator must check against the statute in force: see
docs/motions/initiatives.md). Saving rules always adds a version; a version already in
use by an initiative is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.audit import record_event
from app.core.errors import ValidationFailed
from app.core.i18n import N_
from app.core.inputs import shows_nothing
from app.organisations.models import Unit
from motions.models import InitiativeRules, QuorumKind


@dataclass(frozen=True, slots=True)
class RulesDraft:
    threshold_percent: int = 10
    signing_days: int = 92  # "within three months"
    min_initiators: int = 5
    board_days: int = 28
    quorum_kind: QuorumKind = QuorumKind.TURNOUT
    quorum_percent: int = 20
    binding_months: int = 24
    overturn_body: str = "Parteitag"
    overturn_numerator: int = 2
    overturn_denominator: int = 3


DEFAULTS: Final = RulesDraft()
"""SPD statute defaults (10 % in three months; turnout ≥ 20 %; binding two years,
overturnable by a two-thirds Parteitag majority). The minimum of initiators and the
board's four weeks are this installation's assumption."""

_LIMITS: Final[dict[str, tuple[int, int, str]]] = {
    "threshold_percent": (1, 100, N_("The threshold is a whole percentage from 1 to 100.")),
    "signing_days": (7, 366, N_("The signing window is 7 to 366 days.")),
    "min_initiators": (1, 100, N_("The minimum of initiators is 1 to 100.")),
    "board_days": (1, 366, N_("The board's response period is 1 to 366 days.")),
    "quorum_percent": (1, 100, N_("The quorum is a whole percentage from 1 to 100.")),
    "binding_months": (0, 120, N_("The binding period is 0 to 120 months.")),
    "overturn_numerator": (1, 100, N_("Give the majority as a fraction such as 2/3.")),
    "overturn_denominator": (1, 100, N_("Give the majority as a fraction such as 2/3.")),
}


def check(draft: RulesDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, (low, high, message) in _LIMITS.items():
        value = getattr(draft, name)
        if not low <= value <= high:
            errors[name] = message
    if draft.overturn_numerator > draft.overturn_denominator:
        errors["overturn_numerator"] = N_("Give the majority as a fraction such as 2/3.")
    if shows_nothing(draft.overturn_body) or len(draft.overturn_body) > 100:  # noqa: PLR2004
        errors["overturn_body"] = N_("Name the body that may overturn the result.")
    return errors


def _ancestor_ids(unit: Unit) -> list[int]:
    """The unit's id and its ancestors', nearest first (from the tree path "/1/4/17/")."""
    return [int(part) for part in reversed(unit.path.strip("/").split("/")) if part]


def own_versions(session: Session, unit: Unit) -> list[InitiativeRules]:
    return list(
        session.scalars(
            select(InitiativeRules)
            .where(InitiativeRules.unit_id == unit.id)
            .order_by(InitiativeRules.valid_from.desc())
        )
    )


def rules_for(session: Session, unit: Unit, on: date) -> InitiativeRules | None:
    """The version in force for ``unit`` on ``on`` (its own, or the nearest ancestor's)."""
    ancestors = _ancestor_ids(unit)
    rows = session.scalars(
        select(InitiativeRules)
        .where(InitiativeRules.unit_id.in_(ancestors), InitiativeRules.valid_from <= on)
        .order_by(InitiativeRules.valid_from.desc(), InitiativeRules.id.desc())
    ).all()
    for unit_id in ancestors:
        for row in rows:
            if row.unit_id == unit_id:
                return row
    return None


def effective(session: Session, unit: Unit, on: date) -> InitiativeRules:
    """The version in force, or a stored copy of `DEFAULTS` on the root unit if there is
    none yet: an initiative must always point at a stored version."""
    found = rules_for(session, unit, on)
    if found is not None:
        return found
    root_id = _ancestor_ids(unit)[-1]
    row = InitiativeRules(unit_id=root_id, valid_from=date(2000, 1, 1), **_values(DEFAULTS))
    session.add(row)
    session.flush()
    return row


def _values(draft: RulesDraft) -> dict[str, object]:
    return {field.name: getattr(draft, field.name) for field in fields(draft)}


def as_draft(row: InitiativeRules | None) -> RulesDraft:
    if row is None:
        return DEFAULTS
    return RulesDraft(**{field.name: getattr(row, field.name) for field in fields(RulesDraft)})


def add_version(
    session: Session, actor: Account, unit: Unit, draft: RulesDraft, valid_from: date
) -> InitiativeRules:
    """A new version of ``unit``'s rules from ``valid_from`` (the caller checked the role).

    Raises:
        ValidationFailed: a value out of range, or a version from that day exists.
    """
    errors = check(draft)
    exists = session.scalar(
        select(InitiativeRules.id).where(
            InitiativeRules.unit_id == unit.id, InitiativeRules.valid_from == valid_from
        )
    )
    if exists is not None:
        errors["valid_from"] = N_("This unit already has rules from this day; pick another day.")
    if errors:
        raise ValidationFailed(errors)
    row = InitiativeRules(
        unit_id=unit.id, valid_from=valid_from, created_by_id=actor.id, **_values(draft)
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        "initiative:rules_set",
        actor_id=actor.id,
        object_type="unit",
        object_id=str(unit.id),
        rules_id=row.id,
    )
    session.commit()
    return row
