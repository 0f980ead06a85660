"""The rules of the Mitgliederentscheid pages: preparing, reading, discussing, results.

The ballot core (`ballots.services`) runs the election itself and checks everything of
consequence again; the functions here add what the pages need around it: the texts
members read before voting, the discussion, who may prepare and manage a referendum,
and the figures of the results page. Every change is audited and committed here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role, RoleAssignment
from app.core.audit import record_event
from app.core.db import utcnow
from app.core.errors import Forbidden, NotFound
from app.core.i18n import N_
from app.core.settings import Settings
from app.discussions import queries as discussion_queries
from app.discussions import services as discussion_services
from app.discussions.models import Discussion, Post
from app.discussions.queries import ThreadPage
from app.organisations import policies
from app.organisations.models import Member, Unit
from ballots import services as ballot_services
from ballots.errors import ManifestInvalid, WrongState
from ballots.manifest import ElectionDraft, ManifestError, build_manifest
from ballots.models import Election, ElectionStatus, RollEntry
from ballots.record_writer import write_record
from crypto.blind_rsa import BlindRsaPrivateKey
from referendums.models import Referendum

TIMEZONE: Final = ZoneInfo("Europe/Berlin")
"""The party's local time: form inputs are read in it, pages show times in it."""
EXPLANATION_MAX: Final = 10_000
"""The explanation is the manifest's description (bound into the election hash)."""
ARGUMENTS_MAX: Final = 10_000
COMMENT_MAX: Final = discussion_services.POST_MAX
_REFERENDUM: Final = "referendum"
NO_LONGER_CHANGEABLE: Final = N_(
    "This referendum can no longer be changed: its trustees have begun the key ceremony."
)


@dataclass(frozen=True, slots=True)
class ReferendumTexts:
    """What members read besides the questions (plain text, blank lines part paragraphs)."""

    explanation: str
    arguments_for: str = ""
    arguments_against: str = ""


@dataclass(frozen=True, slots=True)
class ReferendumView:
    referendum: Referendum
    election: Election
    unit: Unit

    @property
    def id(self) -> uuid.UUID:
        return self.election.id


# -- who may do what ----------------------------------------------------------------------


def _role_paths(session: Session, account: Account | None, role: Role) -> list[str]:
    if account is None or account.is_disabled:
        return []
    return policies.scope_paths(session, account.id, {role})


def staff_units(session: Session, account: Account | None) -> list[Unit]:
    """Units a new referendum may be held in: where ``account`` is staff, and below."""
    paths = _role_paths(session, account, Role.STAFF)
    if not paths:
        return []
    condition = Unit.path.startswith(paths[0])
    for path in paths[1:]:
        condition = condition | Unit.path.startswith(path)
    return list(session.scalars(select(Unit).where(condition).order_by(Unit.path)))


def may_prepare(session: Session, account: Account | None) -> bool:
    return bool(_role_paths(session, account, Role.STAFF))


def may_manage(session: Session, account: Account | None, unit: Unit) -> bool:
    """Staff of the referendum's unit or of a unit above it."""
    return policies.covers(_role_paths(session, account, Role.STAFF), unit)


def may_see_commission(session: Session, account: Account | None, view: ReferendumView) -> bool:
    """Trustees of this election and commission members of its unit (or above)."""
    if account is None:
        return False
    if any(t.account_id == account.id for t in view.election.trustees):
        return True
    return policies.covers(_role_paths(session, account, Role.COMMISSION), view.unit)


def commission_candidates(session: Session, account: Account) -> list[tuple[Account, Unit]]:
    """Accounts on an election commission that a referendum of ``account``'s units may name.

    A trustee must hold the commission role on the referendum's unit or above it
    (`ballots.services.create_election` checks that for the unit finally chosen): these
    are the commission members on the staff units, on units below them, and above them.
    """
    paths = _role_paths(session, account, Role.STAFF)
    if not paths:
        return []
    rows = session.execute(
        select(Account, Unit)
        .join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.role == Role.COMMISSION, Account.is_disabled.is_(False))
        .order_by(Unit.path, Account.display_name)
    )
    seen: set[uuid.UUID] = set()
    found: list[tuple[Account, Unit]] = []
    for candidate, unit in rows:
        related = any(unit.path.startswith(p) or p.startswith(unit.path) for p in paths)
        if related and candidate.id not in seen:
            seen.add(candidate.id)
            found.append((candidate, unit))
    return found


# -- preparing ---------------------------------------------------------------------------------


def _text_errors(texts: ReferendumTexts) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not texts.explanation.strip():
        errors["explanation"] = N_("Explain what the members decide.")
    elif len(texts.explanation) > EXPLANATION_MAX:
        errors["explanation"] = N_("The explanation may have at most 10,000 characters.")
    if len(texts.arguments_for) > ARGUMENTS_MAX:
        errors["arguments_for"] = N_("The arguments may have at most 10,000 characters.")
    if len(texts.arguments_against) > ARGUMENTS_MAX:
        errors["arguments_against"] = N_("The arguments may have at most 10,000 characters.")
    return errors


def check_draft(
    draft: ElectionDraft,
    texts: ReferendumTexts,
    trustee_ids: Sequence[uuid.UUID],
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """Every fault of a referendum definition at once (the engine stops at the first kind).

    Keys are the ballot core's field paths (``title``, ``window``, ``questions[0].text``,
    ``trustees``, ``quorum``) and this module's text fields.
    """
    errors = _text_errors(texts)
    try:
        build_manifest(draft, str(uuid.uuid4()))
    except ManifestError as error:
        errors.update(error.errors)
    if len(set(trustee_ids)) != len(trustee_ids) or len(trustee_ids) != draft.trustees:
        errors["trustees"] = N_("Name as many different trustees as there are.")
    if draft.trustees == 0:
        errors["trustees"] = N_("Choose at least one trustee from the election commission.")
    if "window" not in errors and draft.closes_at <= (now or utcnow()):
        errors["window"] = N_("The election must close in the future.")
    return errors


def create_referendum(
    session: Session,
    settings: Settings,
    actor: Account,
    draft: ElectionDraft,
    trustee_ids: Sequence[uuid.UUID],
    *,
    texts: ReferendumTexts,
    now: datetime | None = None,
    issuer_key: BlindRsaPrivateKey | None = None,
) -> Referendum:
    """Create the election (`ballots.services.create_election`) and its texts.

    The explanation becomes the manifest's description, so it is bound into the
    election hash like the questions. Nothing is saved if anything is wrong.

    Raises:
        ManifestInvalid: with a message per faulty field.
        NotAllowed: ``actor`` is not staff of the unit.
    """
    draft = _checked_draft(draft, texts, trustee_ids, now=now)
    try:
        election = ballot_services.create_election(
            session,
            settings,
            actor,
            draft,
            trustee_ids,
            now=now,
            issuer_key=issuer_key,
            commit=False,  # the election and its texts commit together or not at all
        )
        referendum = Referendum(election_id=election.id, created_by_id=actor.id)
        _set_texts(referendum, texts)
        session.add(referendum)
        record_event(
            session,
            "referendum:created",
            actor_id=actor.id,
            object_type=_REFERENDUM,
            object_id=election.id,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return referendum


def update_referendum(
    session: Session,
    settings: Settings,
    actor: Account,
    election_id: uuid.UUID,
    *,
    draft: ElectionDraft,
    trustee_ids: Sequence[uuid.UUID],
    texts: ReferendumTexts,
    now: datetime | None = None,
) -> Referendum:
    """Change a referendum while nothing is bound to it (`may_still_change`).

    The texts and the election (`ballots.services.update_election`, which checks the
    rules and the state again under the election's lock) change in one transaction:
    the texts are changed first without committing, and the engine's commit takes
    both; if anything is refused, everything is rolled back. The unit stays.

    Raises:
        Forbidden: ``actor`` may not manage the referendum.
        WrongState: a trustee has registered a key (or the election is further on).
        ManifestInvalid: with a message per faulty field.
    """
    view = managed_referendum(session, election_id, actor)
    if not may_still_change(view):
        raise WrongState(view.election.status.value, NO_LONGER_CHANGEABLE)
    draft = _checked_draft(draft, texts, trustee_ids, now=now)
    _set_texts(view.referendum, texts)
    record_event(
        session,
        "referendum:updated",
        actor_id=actor.id,
        object_type=_REFERENDUM,
        object_id=view.id,
    )
    try:
        ballot_services.update_election(
            session, settings, actor, view.id, draft, trustee_ids, now=now
        )
    except BaseException:
        session.rollback()
        raise
    return view.referendum


def _checked_draft(
    draft: ElectionDraft,
    texts: ReferendumTexts,
    trustee_ids: Sequence[uuid.UUID],
    *,
    now: datetime | None,
) -> ElectionDraft:
    """``draft`` with the explanation as its description, if `check_draft` finds nothing."""
    errors = check_draft(draft, texts, trustee_ids, now=now)
    if errors:
        raise ManifestInvalid(errors)
    return dataclasses.replace(draft, description=texts.explanation.strip())


def _set_texts(referendum: Referendum, texts: ReferendumTexts) -> None:
    referendum.explanation = texts.explanation.strip()
    referendum.arguments_for = texts.arguments_for.strip()
    referendum.arguments_against = texts.arguments_against.strip()


# -- reading -----------------------------------------------------------------------------------


def get_referendum(session: Session, election_id: uuid.UUID) -> ReferendumView:
    row = session.execute(
        select(Referendum, Election, Unit)
        .join(Election, Election.id == Referendum.election_id)
        .join(Unit, Unit.id == Election.unit_id)
        .where(Referendum.election_id == election_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise NotFound
    return ReferendumView(*row)


def managed_referendum(
    session: Session, election_id: uuid.UUID, account: Account | None
) -> ReferendumView:
    view = get_referendum(session, election_id)
    if not may_manage(session, account, view.unit):
        raise Forbidden
    return view


def may_read(session: Session, account: Account | None, view: ReferendumView) -> bool:
    """A draft (its texts may still change, the ceremony runs) is for the unit's staff and
    commission only; from the joint key on, everyone may read the referendum."""
    if view.election.status != ElectionStatus.DRAFT:
        return True
    return may_manage(session, account, view.unit) or may_see_commission(session, account, view)


def readable_referendum(
    session: Session, election_id: uuid.UUID, account: Account | None
) -> ReferendumView:
    """The referendum, or NotFound for a draft the reader may not see (not even that it exists)."""
    view = get_referendum(session, election_id)
    if not may_read(session, account, view):
        raise NotFound
    return view


def public_name(display_name: str) -> str:
    """The form in which visitors without a login see a commenter: "Anna B."."""
    parts = display_name.split()
    if len(parts) < 2:  # noqa: PLR2004 - a single word stays as it is
        return display_name.strip()
    return f"{parts[0]} {parts[-1][0]}."


def list_referendums(session: Session) -> list[ReferendumView]:
    rows = session.execute(
        select(Referendum, Election, Unit)
        .join(Election, Election.id == Referendum.election_id)
        .join(Unit, Unit.id == Election.unit_id)
        .order_by(Election.closes_at.desc(), Election.title)
    )
    return [ReferendumView(*row) for row in rows]


def paragraphs(text: str) -> list[list[str]]:
    """Plain text as paragraphs (split on blank lines) of lines, for escaped rendering."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return [[line.strip() for line in block.split("\n")] for block in blocks if block]


def local_time(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(TIMEZONE)


@dataclass(frozen=True, slots=True)
class MineItem:
    view: ReferendumView
    state: str
    """``vote`` (no credential yet), ``credential`` (already got it), ``postal``,
    ``not_on_roll`` (e.g. joined after the cut-off)."""


def open_for_member(session: Session, account: Account) -> list[MineItem]:
    """Open referendums of the units the account's member belongs to, with their state."""
    if account.member_id is None:
        return []
    member = session.get(Member, account.member_id)
    if member is None:
        return []
    own = session.get(Unit, member.unit_id)
    assert own is not None
    items: list[MineItem] = []
    for view in list_referendums(session):
        if view.election.status != ElectionStatus.OPEN or not view.unit.contains(own):
            continue
        entry = session.scalar(
            select(RollEntry).where(
                RollEntry.election_id == view.id, RollEntry.member_id == member.id
            )
        )
        if entry is None:
            state = "not_on_roll"
        elif entry.postal:
            state = "postal"
        elif entry.credential_issued_on is not None:
            state = "credential"
        else:
            state = "vote"
        items.append(MineItem(view, state))
    return items


def may_vote_online(session: Session, account: Account | None, view: ReferendumView) -> bool:
    """Whether the page offers the vote button (the ballot core decides for real)."""
    if account is None or account.member_id is None or account.is_disabled:
        return False
    if view.election.status not in {ElectionStatus.ROLL_FROZEN, ElectionStatus.OPEN}:
        return False
    entry = session.scalar(
        select(RollEntry).where(
            RollEntry.election_id == view.id, RollEntry.member_id == account.member_id
        )
    )
    return entry is not None and not entry.postal


# -- discussion ---------------------------------------------------------------------------------


def discussion(session: Session, view: ReferendumView) -> Discussion:
    """The referendum's discussion in the discussion component (made on first use)."""
    return discussion_services.discussion_of(
        session, _REFERENDUM, view.id, unit_id=view.unit.id, title=view.election.title
    )


def post_comment(session: Session, election_id: uuid.UUID, actor: Account, body: str) -> Post:
    """A member's or guest's post in the discussion (audited without its text)."""
    view = readable_referendum(session, election_id, actor)
    post = discussion_services.post(session, discussion(session, view), actor, body)
    record_event(
        session,
        "referendum:comment_posted",
        actor_id=actor.id,
        object_type=_REFERENDUM,
        object_id=view.id,
        comment_id=post.id,
        length=len(post.body),
    )
    session.commit()
    return post


HIDDEN_BY_STAFF: Final = N_("Hidden by the staff of the unit.")


def hide_comment(
    session: Session,
    election_id: uuid.UUID,
    comment_id: int,
    actor: Account,
    reason: str = "",
) -> Post:
    """Staff of the referendum's unit hide a comment (kept, and audited)."""
    view = managed_referendum(session, election_id, actor)
    found = session.get(Post, comment_id)
    if found is None or found.discussion_id != discussion(session, view).id:
        raise NotFound
    post = discussion_services.hide(session, found.id, actor, reason.strip() or HIDDEN_BY_STAFF)
    record_event(
        session,
        "referendum:comment_hidden",
        actor_id=actor.id,
        object_type=_REFERENDUM,
        object_id=view.id,
        comment_id=post.id,
    )
    session.commit()
    return post


def comments(
    session: Session,
    view: ReferendumView,
    account: Account | None,
    *,
    page: int = 1,
    sort: str = "oldest",
) -> ThreadPage:
    """The discussion as ``account`` may see it (visitors see "Anna B.", guests "Gast")."""
    return discussion_queries.thread_page(
        session, discussion(session, view), account, page=page, sort=sort
    )


def may_read_subject(session: Session, account: Account | None, election_id: uuid.UUID) -> bool:
    """The discussion of a draft is as invisible as the draft (``app.discussions``)."""
    try:
        readable_referendum(session, election_id, account)
    except NotFound:
        return False
    return True


# -- managing -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrusteeProgress:
    index: int
    name: str
    registered: bool
    dealt: bool
    verified: bool


def ceremony_progress(session: Session, view: ReferendumView) -> list[TrusteeProgress]:
    """Each trustee's step in the key ceremony (`ballots.services.ceremony_state`)."""
    state = ballot_services.ceremony_state(session, view.id)
    names = dict(
        session.execute(
            select(Account.id, Account.display_name).where(
                Account.id.in_([t.account_id for t in view.election.trustees])
            )
        ).all()
    )
    return [
        TrusteeProgress(
            index=trustee.index,
            name=names.get(trustee.account_id, "?"),
            registered=trustee.index in state.sealing_keys,
            dealt=trustee.index in state.commitments,
            verified=trustee.index in state.verified,
        )
        for trustee in view.election.trustees
    ]


def may_still_change(view: ReferendumView) -> bool:
    """Texts and questions can change only before any trustee registered a key."""
    return view.election.status == ElectionStatus.DRAFT and not any(
        t.sealing_public_key for t in view.election.trustees
    )


def freeze_roll(
    session: Session, election_id: uuid.UUID, actor: Account, *, now: datetime | None = None
) -> Election:
    """Staff fix the voter roll once the key ceremony is done (the engine audits it)."""
    managed_referendum(session, election_id, actor)
    return ballot_services.freeze_roll(session, election_id, actor, now=now)


def open_now(
    session: Session,
    settings: Settings,
    election_id: uuid.UUID,
    actor: Account,
    *,
    now: datetime | None = None,
) -> Election:
    """Staff open the ballot box (at or after the planned opening; the engine audits it)."""
    managed_referendum(session, election_id, actor)
    return ballot_services.open_election(session, settings, election_id, actor, now=now)


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OptionResult:
    label: str
    online: int
    postal: int
    total: int
    key: str = ""


@dataclass(frozen=True, slots=True)
class QuestionResult:
    text: str
    options: list[OptionResult]
    postal_invalid: int
    method: str = "one_of"


@dataclass(frozen=True, slots=True)
class Results:
    questions: list[QuestionResult]
    eligible: int
    online_ballots: int
    postal_envelopes: int
    participants: int
    percent_x100: int
    quorum_percent: int | None
    quorum_met: bool
    binding: bool

    @property
    def turnout_text(self) -> str:
        return f"{self.percent_x100 // 100},{self.percent_x100 % 100:02d}"


def results(view: ReferendumView) -> Results:
    """The tally's figures, per question and option (only once tallied)."""
    found = tallied_results(view.election)
    if found is None:
        raise NotFound
    return found


def tallied_results(election: Election) -> Results | None:
    """The figures the tally wrote (`ballots.tally.tally_document`) per question and
    option, or None before counting. The members' results page and the commission's
    review and minutes show these same figures."""
    tally: dict[str, Any] | None = election.tally
    if election.status != ElectionStatus.TALLIED or tally is None:
        return None
    questions = election.manifest["questions"]
    rows = []
    for question, counted in zip(questions, tally["questions"], strict=True):
        options = [
            OptionResult(option["label"], online, postal, total, option.get("id", ""))
            for option, online, postal, total in zip(
                question["options"],
                counted["online"],
                counted["postal"]["counts"],
                counted["result"],
                strict=True,
            )
        ]
        rows.append(
            QuestionResult(
                question["text"], options, counted["postal"]["invalid"], question["method"]
            )
        )
    turnout = tally["turnout"]
    return Results(
        questions=rows,
        eligible=turnout["eligible"],
        online_ballots=turnout["online_ballots"],
        postal_envelopes=turnout["postal_envelopes"],
        participants=turnout["participants"],
        percent_x100=turnout["percent_x100"],
        quorum_percent=election.quorum_percent,
        quorum_met=bool(tally["quorum_met"]),
        binding=bool(tally["binding"]),
    )


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """The published record zip on disk and its entity tag (SHA-256 of its bytes)."""

    path: Path
    etag: str


_record_locks: dict[uuid.UUID, threading.Lock] = {}
_record_locks_guard = threading.Lock()


def stored_record(session: Session, settings: Settings, election_id: uuid.UUID) -> StoredRecord:
    """The election's record zip, written once after the tally and then only read.

    Once the result is published the record never changes: it is written once (by the
    first request after publication) under ``var/records/`` and served from there with
    a stable ETag. An anonymous download
    therefore costs a file read, not a rebuild of the whole record (about 2 GB written
    for 400,000 ballots). The SHA-256 file is written last, so its presence means the
    zip is complete; concurrent first requests wait for one writer.
    """
    view = get_referendum(session, election_id)
    if view.election.status != ElectionStatus.TALLIED:
        raise NotFound
    folder = settings.var_dir / "records"
    archive = folder / f"stimmwerk-record-{view.id}.zip"
    digest = folder / f"stimmwerk-record-{view.id}.sha256"
    if not digest.exists():
        with _record_lock(view.id):
            if not digest.exists():
                _write_stored_record(session, view.id, folder, archive, digest)
    return StoredRecord(archive, digest.read_text(encoding="ascii").strip())


def _record_lock(election_id: uuid.UUID) -> threading.Lock:
    with _record_locks_guard:
        return _record_locks.setdefault(election_id, threading.Lock())


def _write_stored_record(
    session: Session, election_id: uuid.UUID, folder: Path, archive: Path, digest: Path
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".record-", dir=folder))
    try:
        written = write_record(session, election_id, scratch / f"record-{election_id}")
        assert written is not None
        sha = hashlib.sha256()
        with written.open("rb") as source:
            for block in iter(lambda: source.read(1 << 20), b""):
                sha.update(block)
        written.replace(archive)
        partial = digest.with_suffix(".sha256.part")
        partial.write_text(sha.hexdigest() + "\n", encoding="ascii")
        partial.replace(digest)
    finally:
        remove_folder(scratch)


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
