"""The signature commitment and the rules' pure parts (no database)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

import pytest

from motions import commitment
from motions.entscheid import add_months
from motions.rules import DEFAULTS, RulesDraft, check
from motions.services import threshold_for

INITIATIVE = uuid.UUID("00000000-0000-4000-8000-000000000013")


def _leaves(n: int) -> list[bytes]:
    return [commitment.leaf(INITIATIVE, str(500000 + i), f"{i:032x}") for i in range(n)]


def test_a_published_list_checks_out_and_proves_each_signer() -> None:
    leaves = _leaves(7)
    document = commitment.published(INITIATIVE, leaves, 7)
    assert all(ok for _, ok in commitment.check_published(document))
    assert all(commitment.includes(document, leaf) for leaf in leaves)
    assert not commitment.includes(document, commitment.leaf(INITIATIVE, "1", "00" * 16))


def test_a_count_the_leaves_do_not_back_or_a_changed_leaf_fails() -> None:
    document = commitment.published(INITIATIVE, _leaves(5), 6)
    failed = [name for name, ok in commitment.check_published(document) if not ok]
    assert failed == ["the count equals the number of leaves"]
    document = commitment.published(INITIATIVE, _leaves(5), 5)
    document["leaves"][2] = "00" * 32
    assert not all(ok for _, ok in commitment.check_published(document))


def test_the_leaf_depends_on_salt_initiative_and_number() -> None:
    base = commitment.leaf(INITIATIVE, "500001", "11" * 16)
    assert base != commitment.leaf(INITIATIVE, "500001", "12" * 16)
    assert base != commitment.leaf(uuid.uuid4(), "500001", "11" * 16)
    assert base != commitment.leaf(INITIATIVE, "500002", "11" * 16)


def test_the_threshold_rounds_up_and_is_at_least_one() -> None:
    assert threshold_for(460_000, 10) == 46_000
    assert threshold_for(15, 10) == 2
    assert threshold_for(0, 10) == 1


def test_the_defaults_are_the_statute_s_and_out_of_range_values_are_refused() -> None:
    assert (DEFAULTS.threshold_percent, DEFAULTS.quorum_percent, DEFAULTS.binding_months) == (
        10,
        20,
        24,
    )
    assert check(DEFAULTS) == {}
    wrong = RulesDraft(threshold_percent=0, overturn_numerator=4, overturn_denominator=3)
    assert set(check(wrong)) == {"threshold_percent", "overturn_numerator"}


def test_binding_months_end_on_the_same_day_or_the_month_s_last() -> None:
    assert add_months(date(2026, 12, 4), 24) == date(2028, 12, 4)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


def test_a_receipt_is_recomputed_by_its_recipe_and_malformed_ones_are_refused() -> None:
    salt = "ab" * 16
    data = b"stimmwerk/initiative-signature/v1\x00" + INITIATIVE.bytes + b"500001\x00"
    by_recipe = hashlib.sha256(data + bytes.fromhex(salt)).digest()
    assert commitment.receipt_leaf(INITIATIVE, " 500001 ", salt.upper()) == by_recipe
    assert commitment.parse_leaf(" " + by_recipe.hex().upper()) == by_recipe
    document = commitment.published(INITIATIVE, [by_recipe, *_leaves(3)], 4)
    assert commitment.initiative_of(document) == INITIATIVE
    for number, bad_salt in (("500001", "ab" * 15), ("500001", "zz" * 16), ("", salt)):
        with pytest.raises(ValueError, match=r"."):
            commitment.receipt_leaf(INITIATIVE, number, bad_salt)
    for bad_leaf in ("ab" * 31, "zz" * 32):
        with pytest.raises(ValueError, match=r"."):
            commitment.parse_leaf(bad_leaf)
    with pytest.raises(ValueError, match="initiative"):
        commitment.initiative_of({"leaves": []})
    assert not commitment.includes({"root": "00"}, by_recipe)  # not a list: not found
