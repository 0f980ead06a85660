"""Running elections through the real ballot services in tests (a small, fixed cast).

The organisation is ``tests.factories.make_tree`` (BV > LV1 > UB1 > OV-A, OV-B; UB2 >
OV-C). The election belongs to LV1; staff and commission roles sit on LV1. Trustee key
files use the cheapest Argon2id parameters. The clock is virtual: every service call
gets a ``now`` from the election's own window.
"""

from __future__ import annotations

import functools
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.db import utcnow
from app.core.settings import Settings
from app.organisations.models import Member, Unit
from ballots import client, services, trustee_tool
from ballots.ballot_check import ElectionKeys
from ballots.board import Receipt
from ballots.keyfile import CHEAP_LIMITS
from ballots.manifest import ElectionDraft, OptionDraft, QuestionDraft
from ballots.models import Election
from ballots.tally import PostalLine
from crypto.blind_rsa import BlindRsaPrivateKey
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account, make_member, make_tree

YES_NO = QuestionDraft("q1", "Soll die Satzung geändert werden?", "yes_no_abstain")
ONE_OF = QuestionDraft(
    "q2",
    "Welcher Ort für den Parteitag?",
    "one_of",
    (OptionDraft("berlin", "Berlin"), OptionDraft("bonn", "Bonn"), OptionDraft("kiel", "Kiel")),
)
UP_TO = QuestionDraft(
    "q3",
    "Wen in den Beirat (bis zu zwei)?",
    "up_to",
    (OptionDraft("a", "Anna"), OptionDraft("b", "Ben"), OptionDraft("c", "Cem")),
    max_selections=2,
)


def fixed_draft(**changes: object) -> ElectionDraft:
    """A referendum draft on fixed dates (November 2026) with the three questions, three
    trustees, two of whom decrypt, and no quorum: for tests that need no database."""
    base = ElectionDraft(
        title="Mitgliederentscheid über die Satzung",
        description="",
        unit_code="LV1",
        unit_name="Landesverband Eins",
        cutoff_at=datetime(2026, 11, 1, tzinfo=UTC),
        opens_at=datetime(2026, 11, 10, 8, tzinfo=UTC),
        closes_at=datetime(2026, 11, 24, 18, tzinfo=UTC),
        questions=(YES_NO, ONE_OF, UP_TO),
        trustees=3,
        threshold=2,
        quorum_percent=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@functools.cache
def shared_issuer_key() -> BlindRsaPrivateKey:
    """One 3072-bit issuer key per test process (generation costs ~0.5 s)."""
    return BlindRsaPrivateKey.generate()


class ElectionTimeline:
    """What `ElectionWorld` and `tests.support.referendums_world.ReferendumWorld` share:
    the virtual clock around ``start`` (cut-off a day later, opening after two days,
    ballots after three, closing after nine), the election, and the trustees' key files
    with which the ceremony, the postal line and the decryption are done."""

    session: Session
    settings: Settings
    tmp: Path
    start: datetime
    key_files: dict[int, tuple[Path, str]]
    """trustee index -> (key file, passphrase)."""

    @property
    def id(self) -> uuid.UUID:
        raise NotImplementedError

    @property
    def cutoff(self) -> datetime:
        return self.start + timedelta(days=1)

    @property
    def opens(self) -> datetime:
        return self.start + timedelta(days=2)

    @property
    def voting(self) -> datetime:
        return self.start + timedelta(days=3)

    @property
    def closes(self) -> datetime:
        return self.start + timedelta(days=9)

    def election(self) -> Election:
        return services.get_election(self.session, self.id)

    def keys(self) -> ElectionKeys:
        return services.election_keys(self.session, self.election())

    def hold_ceremony(self, trustees: Sequence[Account], prefix: str = "trustee") -> None:
        """All ``trustees`` (seat order): key file and sealing key, dealing, checking."""
        for index, account in enumerate(trustees, start=1):
            path = self.tmp / f"{prefix}-{index}-{secrets.token_hex(3)}.key"
            self.key_files[index] = (path, f"passphrase-{index}-long-enough")
            trustee_tool.init_trustee(
                self.session,
                self.id,
                account,
                path=path,
                passphrase=self.key_files[index][1],
                limits=CHEAP_LIMITS,
            )
        for step in (trustee_tool.deal_shares, trustee_tool.check_shares):
            for index, account in enumerate(trustees, start=1):
                path, passphrase = self.key_files[index]
                step(
                    self.session,
                    self.id,
                    account,
                    path=path,
                    passphrase=passphrase,
                    limits=CHEAP_LIMITS,
                )

    def sign_postal(
        self, trustees: Sequence[Account], line: PostalLine, now: datetime | None = None
    ) -> None:
        """Trustees 1 and 2 enter and confirm the line, each signing it with their key
        file (record §7.3)."""
        for index, step in ((1, "entered"), (2, "confirmed")):
            path, passphrase = self.key_files[index]
            trustee_tool.postal_step(
                self.session,
                self.id,
                trustees[index - 1],
                line,
                step,
                path=path,
                passphrase=passphrase,
                now=now,
            )

    def decrypt_with(self, trustees: Sequence[Account]) -> None:
        """The first ``len(trustees)`` seats check the statement and decrypt."""
        for index, account in enumerate(trustees, start=1):
            path, passphrase = self.key_files[index]
            trustee_tool.decrypt_tally(
                self.session, self.id, account, path=path, passphrase=passphrase
            )

    def credential_for(self, member_id: int) -> client.Credential:
        """A member's voting credential by blind signature, issued at ``voting``."""
        keys = self.keys()
        request = client.request_credential(keys.issuer, str(self.id))
        answer = services.issue_credential(
            self.session, self.settings, self.id, member_id, request.blinded_msg, now=self.voting
        )
        return client.finish_credential(keys.issuer, request, answer)

    def cast_ballot(
        self, credential_: client.Credential, choices: Mapping[str, Sequence[str]]
    ) -> tuple[dict[str, object], Receipt]:
        """A ballot made by `ballots.client` and cast at ``voting``."""
        ballot = client.make_ballot(self.keys(), credential_, choices)
        receipt = services.cast_ballot(
            self.session, self.settings, self.id, client.ballot_bytes(ballot), now=self.voting
        )
        return ballot, receipt


@dataclass
class ElectionWorld(ElectionTimeline):
    session: Session
    settings: Settings
    tmp: Path
    units: dict[str, Unit]
    staff: Account
    commission: list[Account]
    members: dict[str, Member]
    start: datetime = field(default_factory=lambda: utcnow().replace(microsecond=0))
    election_id: uuid.UUID | None = None
    key_files: dict[int, tuple[Path, str]] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        assert self.election_id is not None
        return self.election_id

    def trustees(self) -> list[Account]:
        return self.commission[: self.election().trustee_count]


def make_world(
    session: Session,
    settings: Settings,
    tmp: Path,
    *,
    members: Sequence[str] = ("anna", "ben", "cem", "dora"),
    postal: Sequence[str] = ("paul",),
    commission: int = 3,
) -> ElectionWorld:
    """The tree, one staff account, ``commission`` commission accounts, and members."""
    units = make_tree(session)
    lv = units["LV1"]
    staff = make_account(session, settings, "staff@example.org", TEST_PASSWORD, name="Sabine")
    grant(session, staff, Role.STAFF, lv)
    board = []
    for i in range(commission):
        account = make_account(
            session, settings, f"kommission{i + 1}@example.org", TEST_PASSWORD, name=f"K{i + 1}"
        )
        grant(session, account, Role.COMMISSION, lv)
        board.append(account)
    made: dict[str, Member] = {}
    places = ("OV-A", "OV-B", "OV-C")
    for i, name in enumerate((*members, *postal)):
        made[name] = make_member(
            session, units[places[i % 3]], name.title(), "Muster", postal_vote=name in postal
        )
    session.commit()
    return ElectionWorld(session, settings, tmp, units, staff, board, made)


def draft(
    world: ElectionWorld,
    *,
    questions: Sequence[QuestionDraft] = (YES_NO,),
    trustees: int = 3,
    threshold: int = 2,
    quorum: int | None = 20,
) -> ElectionDraft:
    return ElectionDraft(
        title="Mitgliederentscheid zur Satzung",
        description="Die Satzung des Landesverbands.",
        unit_code="LV1",
        unit_name="",
        cutoff_at=world.cutoff,
        opens_at=world.opens,
        closes_at=world.closes,
        questions=tuple(questions),
        trustees=trustees,
        threshold=threshold,
        quorum_percent=quorum,
    )


def create(world: ElectionWorld, **options: object) -> Election:
    the_draft = draft(world, **options)  # type: ignore[arg-type]
    trustees = [a.id for a in world.commission[: the_draft.trustees]]
    election = services.create_election(
        world.session,
        world.settings,
        world.staff,
        the_draft,
        trustees,
        now=world.start,
        issuer_key=shared_issuer_key(),
    )
    world.election_id = election.id
    return election


def ceremony(world: ElectionWorld) -> None:
    """All trustees: key file and sealing key, dealing, checking their shares."""
    world.hold_ceremony(world.trustees())


def open_for_voting(world: ElectionWorld, **options: object) -> ElectionWorld:
    """Create, hold the ceremony, freeze the roll and open the election."""
    create(world, **options)
    ceremony(world)
    services.freeze_roll(world.session, world.id, world.staff, now=world.cutoff)
    services.open_election(world.session, world.settings, world.id, world.staff, now=world.opens)
    return world


def credential(world: ElectionWorld, member: str) -> client.Credential:
    return world.credential_for(world.members[member].id)


def cast(
    world: ElectionWorld, credential_: client.Credential, choices: Mapping[str, Sequence[str]]
) -> tuple[dict[str, object], Receipt]:
    return world.cast_ballot(credential_, choices)


def close_and_decrypt(
    world: ElectionWorld, trustees: int | None = None, postal: PostalLine | None = None
) -> None:
    """Close, enter and confirm the postal line (if given), then let trustees decrypt.

    Record v3: trustees decrypt only once the postal line is confirmed (their proofs
    bind it), so the postal line comes first.
    """
    services.close_election(world.session, world.id, None, now=world.closes)
    if postal is not None:
        enter_postal(world, postal)
    decrypt(world, trustees)


def decrypt(world: ElectionWorld, trustees: int | None = None) -> None:
    """``trustees`` (default t) trustees check the statement and decrypt with their key files."""
    count = world.election().threshold if trustees is None else trustees
    world.decrypt_with(world.trustees()[:count])


def postal_signature(world: ElectionWorld, index: int, line: PostalLine, step: str) -> bytes:
    """Trustee ``index``'s signature of ``line`` (record §7.3), made with their key file."""
    path, passphrase = world.key_files[index]
    return trustee_tool.sign_postal_line(
        world.session, world.id, line, step, path=path, passphrase=passphrase
    )


def enter_postal(world: ElectionWorld, line: PostalLine) -> None:
    """Trustees 1 and 2 enter and confirm the line, each signing it with their key file."""
    world.sign_postal(world.trustees(), line)
