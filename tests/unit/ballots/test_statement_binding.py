"""Record v3 in the engine: the fingerprint, the outcome statement and the member's roll check.

The engine fixes the election fingerprint when the election is defined and binds the
key ceremony to it; it fixes the outcome statement once the postal line is confirmed;
the trustee's tool recomputes the statement from public data and refuses to decrypt
when the server's statement (or the board key) was changed; the engine's record
verifies with every v3 check; and a member sees their own roll entry with an inclusion
proof and whether a credential was issued for it (the way ballot stuffing for
abstainers becomes visible).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.core.settings import Settings
from ballots import services, trustee_tool
from ballots.errors import WrongState
from ballots.record import election_fingerprint, open_record, statement_hash
from ballots.record_writer import write_record
from ballots.tally import PostalLine
from ballots.verifier import CHECKS, State, Status, iter_results
from crypto.blind_rsa import Variant
from crypto.merkle import leaf_hash, verify_inclusion
from crypto.signing import Ed25519SecretKey
from tests import ballots_support as support


@pytest.fixture
def world(db: Session, settings: Settings, tmp_path: Path) -> support.ElectionWorld:
    return support.make_world(db, settings, tmp_path)


LINE = PostalLine(((1, 0, 0),), (0,), 1)


def voted(world: support.ElectionWorld) -> support.ElectionWorld:
    """anna and ben vote, cem and dora do not, paul votes by post; closed, postal confirmed."""
    support.open_for_voting(world)
    for name, choice in (("anna", "yes"), ("ben", "no")):
        support.cast(world, support.credential(world, name), {"q1": [choice]})
    services.close_election(world.session, world.id, None, now=world.closes)
    support.enter_postal(world, LINE)
    return world


def test_the_fingerprint_is_fixed_at_creation_and_binds_the_ceremony(
    world: support.ElectionWorld,
) -> None:
    election = support.create(world)
    issuer = election.issuer_key
    assert issuer is not None
    expected = election_fingerprint(
        election.manifest_hash,
        Variant.PSS_RANDOMIZED.value,
        issuer.public_key_spki,
        election.board_public_key,
    )
    assert election.fingerprint == expected.hex()
    assert services.ceremony_state(world.session, world.id).params.context == expected


def test_the_statement_is_fixed_when_the_postal_line_is_confirmed(
    world: support.ElectionWorld,
) -> None:
    election = voted(world).election()
    statement = election.outcome_statement
    assert statement is not None
    assert statement["roll"] == {
        "commitment": election.roll_commitment,
        "eligible": 5,
        "online": 4,
        "postal": 1,
    }
    assert statement["issuance"]["issued"] == 2
    assert statement["board"]["size"] == 2
    assert statement["postal"]["questions"] == [{"counts": [1, 0, 0], "invalid": 0}]
    steps = [c["step"] for c in statement["postal"]["confirmations"]]
    assert steps == ["entered", "confirmed"]
    task = services.decryption_task(world.session, world.id, world.trustees()[0])
    assert task.params.context == statement_hash(statement)


def test_the_engine_record_passes_every_v3_check(world: support.ElectionWorld) -> None:
    voted(world)
    support.decrypt(world)
    services.tally_election(world.session, world.id, None)
    out = world.tmp / "record"
    write_record(world.session, world.id, out, make_zip=False)
    with open_record(out) as source:
        outcome = [(r.name, r.status) for r in iter_results(State(source, workers=1))]
    assert outcome == [(name, Status.PASS) for name in CHECKS]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda s, e: s["roll"].update(eligible=4, online=3), id="roll-counts"),
        pytest.param(lambda s, e: s["issuance"].update(issued=1), id="issuance"),
        pytest.param(lambda s, e: s["board"].update(size=1), id="board"),
        pytest.param(
            lambda s, e: s["postal"]["questions"][0].update(counts=[2, 0, 0]),
            id="impossible-postal",
        ),
        pytest.param(
            lambda s, e: s["postal"].update(confirmations=s["postal"]["confirmations"][:1]),
            id="one-confirmation",
        ),
        pytest.param(lambda s, e: s.update(fingerprint="00" * 32), id="fingerprint"),
        # §7.3: a confirmation signed by a key that is not the trustee's, or twice by one.
        pytest.param(
            lambda s, e: s["postal"]["confirmations"][0].update(signature="ab" * 64),
            id="operator-signature",
        ),
        pytest.param(
            lambda s, e: s["postal"]["confirmations"][1].update(trustee=1),
            id="one-trustee-twice",
        ),
        # §7.2: the joint key is bound; the tool checks it against the commitments.
        pytest.param(
            lambda s, e: s.update(joint_public_key=e.trustees[0].commitments[0]),
            id="joint-key",
        ),
    ],
)
def test_the_trustee_tool_refuses_a_statement_that_does_not_follow_from_the_data(
    world: support.ElectionWorld, forge: object
) -> None:
    election = voted(world).election()
    statement = copy.deepcopy(election.outcome_statement)
    assert statement is not None
    forge(statement, election)  # type: ignore[operator]
    election.outcome_statement = statement
    world.session.commit()
    path, passphrase = world.key_files[1]
    with pytest.raises(trustee_tool.StatementRefused):
        trustee_tool.decrypt_tally(
            world.session, world.id, world.trustees()[0], path=path, passphrase=passphrase
        )
    assert services.decryption_task(world.session, world.id, world.trustees()[0]).trustee == 1


def test_the_trustee_tool_refuses_a_swapped_board_key(world: support.ElectionWorld) -> None:
    election = voted(world).election()
    election.board_public_key = "11" * 32
    world.session.commit()
    path, passphrase = world.key_files[1]
    with pytest.raises(trustee_tool.StatementRefused) as refused:
        trustee_tool.decrypt_tally(
            world.session, world.id, world.trustees()[0], path=path, passphrase=passphrase
        )
    assert "the fingerprint is not that of the manifest, issuer key and board key" in (
        refused.value.problems
    )


@pytest.mark.parametrize("whose", ["mine", "another", "all-hidden"])
def test_the_trustee_tool_refuses_swapped_or_hidden_signing_keys(
    world: support.ElectionWorld, whose: str
) -> None:
    """§2.1: the ceremony context binds every signing key; the tool checks its own."""
    election = voted(world).election()
    seats = {t.index: t for t in election.trustees}
    if whose == "all-hidden":  # to pass the postal line off as an unsigned one
        for seat in seats.values():
            seat.signing_public_key = None
    else:
        seats[
            1 if whose == "mine" else 2
        ].signing_public_key = Ed25519SecretKey.generate().public_key.hex()
    world.session.commit()
    path, passphrase = world.key_files[1]
    with pytest.raises(trustee_tool.StatementRefused) as refused:
        trustee_tool.decrypt_tally(
            world.session, world.id, world.trustees()[0], path=path, passphrase=passphrase
        )
    assert "the key ceremony's proofs are not bound to this fingerprint" in (refused.value.problems)


def test_decryption_waits_for_the_confirmed_postal_line(world: support.ElectionWorld) -> None:
    support.open_for_voting(world)
    services.close_election(world.session, world.id, None, now=world.closes)
    with pytest.raises(WrongState):
        support.decrypt(world)
    signature = support.postal_signature(world, 1, LINE, "entered")
    services.enter_postal_result(
        world.session, world.id, world.commission[0], LINE, signature=signature
    )
    with pytest.raises(WrongState):
        support.decrypt(world)


def test_a_member_checks_their_entry_and_sees_a_credential_minted_for_them(
    world: support.ElectionWorld,
) -> None:
    support.open_for_voting(world)
    support.cast(world, support.credential(world, "anna"), {"q1": ["yes"]})
    election = world.election()
    anna = services.roll_check(world.session, world.id, world.members["anna"].id)
    cem = services.roll_check(world.session, world.id, world.members["cem"].id)
    paul = services.roll_check(world.session, world.id, world.members["paul"].id)
    assert (anna.status, anna.credential_issued) == (services.RollStatus.ONLINE, True)
    assert (cem.status, cem.credential_issued) == (services.RollStatus.ONLINE, False)
    assert paul.status == services.RollStatus.POSTAL
    assert cem.roll_proof is not None
    assert cem.entry is not None
    assert cem.roll_root == election.roll_commitment
    assert verify_inclusion(
        cem.roll_proof, leaf_hash(bytes.fromhex(cem.entry)), bytes.fromhex(cem.roll_root or "")
    )
    # The operator mints a credential for cem, who never asked: cem sees it.
    support.credential(world, "cem")
    assert services.roll_check(world.session, world.id, world.members["cem"].id).credential_issued
