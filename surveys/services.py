"""The survey's rules and transactions: create, edit until open, copy, open, answer, close.

Handlers parse and call these; every consequential change writes an audit event (never
one per credential or answer: with the board order that would link answers to members).

Life of a survey: `create_survey` → `update_survey` / `copy_survey` (draft only) →
`open_survey` (freezes the questions, the member audience and the keys into the
fingerprint) → `issue_credential` (with login) / `submit_answer` (without) →
`close_survey` (last batch onto the board, results, stored record zip).

Answers wait unpublished until `BATCH_SIZE` of them are there (or the survey closes);
the batch is then shuffled and appended to the board, so the board order is not the
order of arrival (as ballots, issue 8). The receipt names the answer's hash; its place on
the board is found with `answer_receipt` once its batch is on the board.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.audit import record_event
from app.core.errors import Conflict, DomainError, Forbidden, NotFound
from app.core.i18n import N_, Deferred
from app.core.inputs import shows_nothing, single_line_problem
from app.core.secrets_box import decrypt_field, encrypt_field
from app.core.settings import Settings
from app.organisations import policies
from app.organisations.models import Unit
from ballots import board, issuance
from crypto.blind_rsa import BlindRsaError, BlindRsaPrivateKey, BlindRsaPublicKey, blind_sign
from crypto.blind_rsa import verify as verify_blind
from crypto.canonical import canonical_json
from crypto.merkle import MerkleTree
from crypto.signing import Ed25519PublicKey, SigningError, verify
from surveys import answer_format as fmt
from surveys import breakdown as bd
from surveys import roll
from surveys.canonical_fast import is_canonical
from surveys.definition import (
    AnswerRefused,
    DefinitionError,
    PaperLineRefused,
    SurveyManifest,
    add_to_tally,
    check_answers,
    check_paper_line,
    empty_tally,
    paper_tally,
    read_definition,
)
from surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyCheckpoint,
    SurveyGuestEntry,
    SurveyPaperLine,
    SurveyRollEntry,
    SurveyStatus,
)
from surveys.record import record_files, zip_record

ISSUER_PURPOSE: Final = "surveys/issuer-key"
BOARD_PURPOSE: Final = "surveys/board-key"
ROLL_PURPOSE: Final = "surveys/roll-key"
BATCH_SIZE: Final = 64
"""Answers shuffled together onto the board. Larger batches hide the arrival order
better and cost less per answer (each batch reads and rewrites the running tallies:
with 16, a fifth of the web process's CPU under load); an answer waits longer for its
place on the board, which only matters once the record is out, at the close."""
STAFF_ROLES: Final = frozenset({Role.STAFF, Role.BOARD})


# --- errors (German texts in app/translations/de/LC_MESSAGES/surveys.po) ----------------


class _Detailed(DomainError):
    """A refusal with a detail (the rule broken) and the question it is about."""

    def __init__(self, detail: str, question: str | None = None) -> None:
        # The detail is translated where the message is shown (a fixed message id, e.g.
        # the paper line's rules); a detail made up of values stays as it is.
        super().__init__(None, detail=Deferred(detail), question=question or "")
        self.detail = detail
        self.question = question


class SurveyInvalid(_Detailed):
    message = N_("The survey cannot be saved: {detail}")


class SurveyFrozen(Conflict):
    message = N_("The survey is open: its questions can no longer change.")


class SurveyNotOpen(Conflict):
    message = N_("This survey is not open for answers.")


class SurveyClosedAlready(Conflict):
    message = N_("This survey has closed; answers are no longer accepted.")


class NotInAudience(Forbidden):
    message = N_("You are not a member of the unit that asks this survey.")


class MembersOnly(Forbidden):
    message = N_("This survey is for members only. Wer mitentscheiden will, muss Mitglied sein.")


class CredentialTaken(Conflict):
    message = N_("You have already taken part in this survey.")


class AnswerInvalid(_Detailed):
    message = N_("The answer was not accepted: {detail}")


class AlreadyAnswered(Conflict):
    message = N_("This survey has already been answered with this credential.")


class ResultsLater(Forbidden):
    message = N_("The results are shown after the survey has closed.")


class NotStaff(Forbidden):
    message = N_("Only the staff of this unit may manage its surveys.")


class TooManyClasses(Conflict):
    message = N_(
        "This breakdown would need more than {limit} classes: break down by sub-unit or by "
        "age band only, or raise the threshold."
    )


class PaperLineInvalid(_Detailed):
    message = N_("The paper answers were not accepted: {detail}")


class PaperLineExists(Conflict):
    message = N_("The paper answers have already been entered; a second person confirms them.")


class PaperLineMissing(Conflict):
    message = N_("No paper answers have been entered yet.")


class PaperSamePerson(Forbidden):
    message = N_("The paper answers must be confirmed by a different staff member.")


class PaperMismatch(Conflict):
    message = N_("Your figures differ from the ones entered: count again; nothing was confirmed.")


class PaperUnconfirmed(Conflict):
    message = N_("The paper answers were entered but not confirmed yet.")


# --- helpers ------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def get_survey(session: Session, survey_id: uuid.UUID) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound
    return survey


def manifest_of(survey: Survey) -> SurveyManifest:
    return _manifest_from(survey.definition)


@functools.lru_cache(maxsize=64)
def _manifest_from(definition: str) -> SurveyManifest:
    """Parsed once per process and definition text: every answer needs it (read-only)."""
    return read_definition(json.loads(definition))


def _unit(session: Session, survey_or_unit_id: int) -> Unit:
    unit = session.get(Unit, survey_or_unit_id)
    if unit is None:
        raise NotFound
    return unit


def unit_of(session: Session, survey: Survey) -> Unit:
    return _unit(session, survey.unit_id)


def issuers_of(survey: Survey) -> dict[str, str] | None:
    """The issuer keys per credential name (SPKI, hex), once the survey is open."""
    return None if survey.fingerprint is None else _issuers(survey)


def is_staff(session: Session, actor: Account, unit: Unit) -> bool:
    return not actor.is_disabled and policies.covers(
        policies.scope_paths(session, actor.id, STAFF_ROLES), unit
    )


def _require_staff(session: Session, actor: Account, unit: Unit) -> None:
    if not is_staff(session, actor, unit):
        raise NotStaff


def _checked(definition: object) -> SurveyManifest:
    try:
        manifest = read_definition(definition)
    except DefinitionError as error:
        raise SurveyInvalid(str(error), error.question) from error
    title = str(manifest.document["title"])
    if shows_nothing(title) or single_line_problem(title):  # the invitations' subject
        raise SurveyInvalid("the title must be visible text on one line")
    sections: Any = manifest.document["sections"]
    for spec in (spec for section in sections for spec in section["questions"]):
        if any(shows_nothing(text) for text in _texts_of(spec)):
            raise SurveyInvalid("a question, option or statement shows no text", str(spec["id"]))
    return manifest


def _texts_of(spec: Mapping[str, Any]) -> list[str]:
    """The texts of a question members read (its text, its options' and statements'
    labels), each of which must show something."""
    labelled = [*spec.get("options", ()), *spec.get("statements", ())]
    return [str(spec["text"]), *(str(item["label"]) for item in labelled)]


def _window(opens_at: datetime, closes_at: datetime) -> None:
    if not opens_at < closes_at:
        raise SurveyInvalid("the survey must close after it opens")


# --- staff: create, edit, copy, open, close -----------------------------------------


def create_survey(
    session: Session,
    actor: Account,
    unit: Unit,
    definition: object,
    *,
    opens_at: datetime,
    closes_at: datetime,
    guests_allowed: bool = False,
    results_live: bool = False,
    breakdown: bd.Spec | None = None,
) -> Survey:
    """A draft survey of ``unit``; the definition is checked and stored canonical.

    ``breakdown``: results also by sub-unit and/or age band, with its threshold
    (`surveys.breakdown`); None or an empty spec: no breakdown.
    """
    _require_staff(session, actor, unit)
    manifest = _checked(definition)
    _window(opens_at, closes_at)
    survey = Survey(
        unit_id=unit.id,
        title=str(manifest.document["title"]),
        definition=manifest.canonical.decode(),
        status=SurveyStatus.DRAFT,
        guests_allowed=guests_allowed,
        results_live=results_live,
        breakdown=_breakdown_json(breakdown),
        opens_at=opens_at,
        closes_at=closes_at,
        board_size=0,
        board_frontier=b"",
    )
    session.add(survey)
    session.flush()
    record_event(
        session, "survey:created", actor_id=actor.id, object_type="survey", object_id=survey.id
    )
    session.commit()
    return survey


def update_survey(
    session: Session,
    actor: Account,
    survey_id: uuid.UUID,
    definition: object,
    *,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    guests_allowed: bool | None = None,
    results_live: bool | None = None,
    breakdown: bd.Spec | None = None,
) -> Survey:
    """Change a draft; refused once the survey has opened (`SurveyFrozen`)."""
    survey = get_survey(session, survey_id)
    _require_staff(session, actor, _unit(session, survey.unit_id))
    if survey.status != SurveyStatus.DRAFT:
        raise SurveyFrozen
    manifest = _checked(definition)
    new_open = opens_at or survey.opens_at
    new_close = closes_at or survey.closes_at
    _window(new_open, new_close)
    survey.definition = manifest.canonical.decode()
    survey.title = str(manifest.document["title"])
    survey.opens_at, survey.closes_at = new_open, new_close
    if guests_allowed is not None:
        survey.guests_allowed = guests_allowed
    if results_live is not None:
        survey.results_live = results_live
    if breakdown is not None:
        survey.breakdown = _breakdown_json(breakdown)
    record_event(
        session, "survey:updated", actor_id=actor.id, object_type="survey", object_id=survey.id
    )
    session.commit()
    return survey


def copy_survey(
    session: Session,
    actor: Account,
    survey_id: uuid.UUID,
    *,
    unit: Unit | None = None,
    opens_at: datetime,
    closes_at: datetime,
) -> Survey:
    """A new draft with the questions of an earlier survey (any state) of a unit the
    actor manages."""
    source = get_survey(session, survey_id)
    _require_staff(session, actor, _unit(session, source.unit_id))
    target = unit or _unit(session, source.unit_id)
    copy = create_survey(
        session,
        actor,
        target,
        json.loads(source.definition),
        opens_at=opens_at,
        closes_at=closes_at,
        guests_allowed=source.guests_allowed,
        results_live=source.results_live,
        breakdown=spec_of(source),
    )
    copy.copied_from = source.id
    session.commit()
    return copy


def open_survey(
    session: Session,
    settings: Settings,
    actor: Account,
    survey_id: uuid.UUID,
    *,
    key_bits: int = 3072,
) -> Survey:
    """Freeze questions, member audience and keys; nothing about them changes afterwards.

    The audience is the active members of the unit and its sub-units at this moment
    (one INSERT … SELECT, no per-member round trip). The fingerprint binds all of it.
    """
    survey = get_survey(session, survey_id)
    unit = _unit(session, survey.unit_id)
    _require_staff(session, actor, unit)
    if survey.status != SurveyStatus.DRAFT:
        raise SurveyFrozen
    manifest = manifest_of(survey)
    spec = spec_of(survey)
    secret = settings.security.secret_key
    roll_key = secrets.token_bytes(32)
    frozen = roll.freeze(
        session, survey.id, unit, spec, year=survey.opens_at.year, roll_key=roll_key
    )
    if len(frozen.classes) > bd.MAX_CLASSES:
        session.rollback()
        raise TooManyClasses(limit=bd.MAX_CLASSES)
    eligible = frozen.eligible
    survey.roll_key_encrypted = encrypt_field(secret, ROLL_PURPOSE, roll_key.hex())
    survey.roll_commitment = frozen.commitment
    if frozen.classes:
        _class_keys(survey, secret, frozen.classes, key_bits)
    else:
        member_key = BlindRsaPrivateKey.generate(key_bits)
        survey.member_issuer_spki = member_key.public_key.to_der().hex()
        survey.member_issuer_encrypted = encrypt_field(
            secret, ISSUER_PURPOSE, member_key.to_pem().decode()
        )
    if survey.guests_allowed:
        guest_key = BlindRsaPrivateKey.generate(key_bits)
        survey.guest_issuer_spki = guest_key.public_key.to_der().hex()
        survey.guest_issuer_encrypted = encrypt_field(
            secret, ISSUER_PURPOSE, guest_key.to_pem().decode()
        )
    seed = secrets.token_bytes(32)
    signer = board.signer(origin(survey), seed)
    survey.board_key_encrypted = encrypt_field(secret, BOARD_PURPOSE, seed.hex())
    survey.board_public_key = signer.secret_key.public_key.hex()
    survey.checkpoint = board.sign_empty(signer)
    session.add(SurveyCheckpoint(survey_id=survey.id, tree_size=0, note=survey.checkpoint))
    survey.manifest_hash = manifest.hash_hex
    survey.eligible_members = eligible
    survey.live_tallies = json.dumps(_empty_live(survey, manifest))
    survey.fingerprint = fmt.fingerprint(
        survey_id=str(survey.id),
        unit=unit.code,
        opens_at=_stamp(survey.opens_at),
        closes_at=_stamp(survey.closes_at),
        manifest_hash=manifest.hash_hex,
        issuers=_issuers(survey),
        eligible_members=eligible,
        origin=origin(survey),
        board_public_key=survey.board_public_key,
        breakdown=fingerprint_breakdown(survey),
        roll=survey.roll_commitment,
    )
    survey.status = SurveyStatus.OPEN
    record_event(
        session,
        "survey:opened",
        actor_id=actor.id,
        object_type="survey",
        object_id=survey.id,
        eligible=eligible,
        classes=len(frozen.classes),
        fingerprint=survey.fingerprint,
    )
    session.commit()
    return survey


def origin(survey: Survey) -> str:
    return f"stimmwerk/survey/{survey.id}"


# --- breakdown classes (surveys.breakdown; record §8) ---------------------------------


def _breakdown_json(spec: bd.Spec | None) -> str | None:
    if spec is None or not spec.active:
        return None
    return canonical_json(spec.as_json()).decode()


def spec_of(survey: Survey) -> bd.Spec:
    """The survey's breakdown settings (an inactive spec if it has none)."""
    if survey.breakdown is None:
        return bd.Spec()
    return bd.spec_from(json.loads(survey.breakdown))


def classes_of(survey: Survey) -> dict[str, dict[str, Any]]:
    """The classes fixed when the survey opened: id → unit, unit_name, band, eligible,
    issuer_spki. Empty for a survey without breakdown (or not yet open)."""
    if survey.classes is None:
        return {}
    return {cid: dict(c) for cid, c in _classes_from(survey.classes).items()}


@functools.lru_cache(maxsize=64)
def _classes_from(text: str) -> dict[str, dict[str, Any]]:
    """Parsed once per process (up to 64 classes with their keys: every answer needs
    them); callers get copies."""
    return dict(json.loads(text))


def class_infos(survey: Survey) -> dict[str, bd.ClassInfo]:
    return {
        cid: bd.ClassInfo(c["unit"], c["band"], c["eligible"], c["unit_name"])
        for cid, c in classes_of(survey).items()
    }


def fingerprint_breakdown(survey: Survey) -> dict[str, Any] | None:
    """What the fingerprint binds of the breakdown: settings and classes (not their keys,
    which are in ``issuers``, nor their credential counts, which grow)."""
    classes = classes_of(survey)
    if not classes:
        return None
    return {
        **spec_of(survey).as_json(),
        "classes": {
            cid: {key: c[key] for key in ("unit", "unit_name", "band", "eligible")}
            for cid, c in classes.items()
        },
    }


def _class_keys(
    survey: Survey, secret: str, classes: Mapping[str, bd.ClassInfo], key_bits: int
) -> None:
    """One issuer key per class: the class travels with the credential as *which key*
    signed it, never as anything about the member."""
    public: dict[str, Any] = {}
    sealed: dict[str, str] = {}
    for cid, info in classes.items():
        key = BlindRsaPrivateKey.generate(key_bits)
        public[cid] = {
            "unit": info.unit,
            "unit_name": info.unit_name,
            "band": info.band,
            "eligible": info.eligible,
            "issuer_spki": key.public_key.to_der().hex(),
        }
        sealed[cid] = encrypt_field(secret, ISSUER_PURPOSE, key.to_pem().decode())
    survey.classes = canonical_json(public).decode()
    survey.class_keys_encrypted = json.dumps(sealed)


def _issuers(survey: Survey) -> dict[str, str]:
    """Issuer keys by credential name: ``members`` or ``members/<class>``, ``guests``."""
    classes = _classes_from(survey.classes) if survey.classes else {}
    if classes:
        issuers = {
            fmt.credential_name(fmt.MEMBERS, cid): str(c["issuer_spki"])
            for cid, c in classes.items()
        }
    else:
        issuers = {fmt.MEMBERS: str(survey.member_issuer_spki)}
    if survey.guests_allowed:
        issuers[fmt.GUESTS] = str(survey.guest_issuer_spki)
    return issuers


@functools.lru_cache(maxsize=256)
def _public_key(spki: str) -> BlindRsaPublicKey:
    return BlindRsaPublicKey.from_der(bytes.fromhex(spki))


def issuer_public(survey: Survey, name: str) -> BlindRsaPublicKey:
    """The issuer key of a credential name (``members``, ``members/c2``, ``guests``)."""
    spki = _issuers(survey).get(name)
    if spki is None:
        raise MembersOnly
    return _public_key(spki)


# --- who may answer -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Eligibility:
    """What the logged-in person may do in this survey, and why not."""

    audience: str | None
    """The credential name: "members" (or "members/<class>" with a breakdown), "guests",
    or None."""
    refusal: type[Exception] | None


def eligibility(
    session: Session, survey: Survey, account: Account, *, now: datetime | None = None
) -> Eligibility:
    moment = _now(now)
    if survey.status == SurveyStatus.CLOSED or (
        survey.status == SurveyStatus.OPEN and moment >= survey.closes_at
    ):
        return Eligibility(None, SurveyClosedAlready)
    if survey.status != SurveyStatus.OPEN or moment < survey.opens_at:
        return Eligibility(None, SurveyNotOpen)
    if account.member_id is not None:
        entry = session.execute(
            select(SurveyRollEntry.id, SurveyRollEntry.class_id).where(
                SurveyRollEntry.survey_id == survey.id,
                SurveyRollEntry.member_id == account.member_id,
            )
        ).one_or_none()
        if entry is None:
            return Eligibility(None, NotInAudience)
        return Eligibility(fmt.credential_name(fmt.MEMBERS, entry.class_id), None)
    if not survey.guests_allowed:
        return Eligibility(None, MembersOnly)
    return Eligibility(fmt.GUESTS, None)


@dataclass(frozen=True, slots=True)
class OwnEntry:
    """What a person may check about themselves: on the frozen list, and whether (and on
    which day) a credential was issued for them. A member who did not take part and sees
    a day here knows someone else got their credential (stuffing by the operator)."""

    eligible: bool
    audience: str | None
    credential_issued_on: str | None
    roll: roll.OwnRollEntry | None = None
    """The member's class, salt and entry in the frozen list (record §9), which the
    member finds in the record's ``roll.json`` (and among the issued ones only if a
    credential was issued for them)."""


def own_entry(
    session: Session, survey: Survey, account: Account, *, settings: Settings | None = None
) -> OwnEntry:
    """The person's own entry; with ``settings`` also the member's roll entry and salt."""
    if account.member_id is not None:
        issued = session.execute(
            select(SurveyRollEntry.credential_issued_on, SurveyRollEntry.class_id).where(
                SurveyRollEntry.survey_id == survey.id,
                SurveyRollEntry.member_id == account.member_id,
            )
        ).one_or_none()
        if issued is None:
            return OwnEntry(eligible=False, audience=None, credential_issued_on=None)
        day, class_id = issued
        return OwnEntry(
            eligible=True,
            audience=fmt.credential_name(fmt.MEMBERS, class_id),
            credential_issued_on=day.isoformat() if day else None,
            roll=None
            if settings is None or survey.roll_key_encrypted is None
            else roll.own_roll_entry(
                session, survey.id, account.member_id, _roll_key(settings, survey)
            ),
        )
    if not survey.guests_allowed:
        return OwnEntry(eligible=False, audience=None, credential_issued_on=None)
    day = session.scalar(
        select(SurveyGuestEntry.credential_issued_on).where(
            SurveyGuestEntry.survey_id == survey.id, SurveyGuestEntry.account_id == account.id
        )
    )
    return OwnEntry(
        eligible=True,
        audience=fmt.GUESTS,
        credential_issued_on=day.isoformat() if day else None,
    )


def _roll_key(settings: Settings, survey: Survey) -> bytes:
    assert survey.roll_key_encrypted is not None
    secret = settings.security.secret_key
    return bytes.fromhex(decrypt_field(secret, ROLL_PURPOSE, survey.roll_key_encrypted))


def issue_credential(
    session: Session,
    settings: Settings,
    survey_id: uuid.UUID,
    account: Account,
    blinded_msg: bytes,
    *,
    now: datetime | None = None,
) -> tuple[str, bytes]:
    """Blind-sign the person's credential request for their audience, at most once.

    A retry of the same request (a lost answer) gets the same signature; any other
    request after the first is refused. Only the day is stored, and no audit event.

    Returns:
        The audience and the blind signature.
    """
    moment = _now(now)
    survey = get_survey(session, survey_id)
    allowed = eligibility(session, survey, account, now=moment)
    if allowed.refusal is not None or allowed.audience is None:
        raise (allowed.refusal or NotInAudience)
    request_hash = hashlib.sha256(blinded_msg).hexdigest()
    audience = fmt.split_name(allowed.audience)[0]
    issue = _issue_member if audience == fmt.MEMBERS else _issue_guest
    signature = issue(
        session,
        settings,
        survey,
        account,
        blinded_msg=blinded_msg,
        request_hash=request_hash,
        moment=moment,
    )
    return allowed.audience, signature


def _sign(settings: Settings, encrypted: str | None, blinded_msg: bytes) -> bytes:
    assert encrypted is not None
    try:
        return blind_sign(_issuer_key(settings.security.secret_key, encrypted), blinded_msg)
    except BlindRsaError as error:
        raise AnswerInvalid("credential request malformed") from error


@functools.lru_cache(maxsize=16)
def _issuer_key(secret_key: str, encrypted: str) -> BlindRsaPrivateKey:
    """Decrypt and load a survey's issuer key once per process: loading checks the RSA
    key (about 90 ms of CPU at 3,072 bits), which would otherwise be paid per credential."""
    pem = decrypt_field(secret_key, ISSUER_PURPOSE, encrypted)
    return BlindRsaPrivateKey.from_pem(pem.encode())


def _issue_member(
    session: Session,
    settings: Settings,
    survey: Survey,
    account: Account,
    *,
    blinded_msg: bytes,
    request_hash: str,
    moment: datetime,
) -> bytes:
    """The ballot core's rule (``ballots.issuance.issue_once``): day only, once, a retry
    of the same request answered the same; signed with the key of the member's class."""
    del request_hash  # issue_once hashes the request itself
    entry = session.execute(
        select(SurveyRollEntry.id, SurveyRollEntry.class_id).where(
            SurveyRollEntry.survey_id == survey.id, SurveyRollEntry.member_id == account.member_id
        )
    ).one()
    sealed = survey.member_issuer_encrypted
    if entry.class_id is not None:  # the member's class key: the class is *which* key signs
        sealed = json.loads(str(survey.class_keys_encrypted))[entry.class_id]
    return issuance.issue_once(
        session,
        SurveyRollEntry,
        entry.id,
        blinded_msg,
        sign=lambda blinded: _sign(settings, sealed, blinded),
        day=moment.date(),
        refusal=CredentialTaken,
    )


def _issue_guest(
    session: Session,
    settings: Settings,
    survey: Survey,
    account: Account,
    *,
    blinded_msg: bytes,
    request_hash: str,
    moment: datetime,
) -> bytes:
    entry = session.scalars(
        select(SurveyGuestEntry).where(
            SurveyGuestEntry.survey_id == survey.id, SurveyGuestEntry.account_id == account.id
        )
    ).one_or_none()
    if entry is not None:
        return issuance.repeat_or_refuse(
            entry.blinded_request_hash, entry.blind_signature, blinded_msg, CredentialTaken
        )
    signature = _sign(settings, survey.guest_issuer_encrypted, blinded_msg)
    session.add(
        SurveyGuestEntry(
            survey_id=survey.id,
            account_id=account.id,
            credential_issued_on=moment.date(),
            blinded_request_hash=request_hash,
            blind_signature=signature,
        )
    )
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise CredentialTaken from error
    return signature


# --- answers (no login) ---------------------------------------------------------------


def submit_answer(
    session: Session,
    settings: Settings,
    survey_id: uuid.UUID,
    raw: bytes,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Check an answer line and store it for the next shuffled batch; the receipt.

    A credential that has answered already is refused by one indexed lookup before any
    signature is checked (replays cost what junk costs). Nothing else is stored with
    the answer: no account, no address, no time.

    What the answer is checked against (questions, issuer keys) is frozen with the
    fingerprint, so it is read once per process (`_frozen`); each answer reads only the
    survey's state and window, not the whole row (the running tallies and the classes
    are tens of kilobytes).

    Raises:
        SurveyNotOpen, SurveyClosedAlready, AnswerInvalid (with the question named),
        AlreadyAnswered.
    """
    moment = _now(now)
    state = session.execute(_ANSWER_STATE, {"survey_id": survey_id}).one_or_none()
    if state is None:
        raise NotFound
    if state.status == SurveyStatus.CLOSED or moment >= state.closes_at:
        raise SurveyClosedAlready
    if state.status != SurveyStatus.OPEN or moment < state.opens_at:
        raise SurveyNotOpen
    line = _parse(raw)
    key_hex = _credential_key_hex(line)
    if session.scalar(_ANSWERED, {"survey_id": survey_id, "credential_key": key_hex}):
        raise AlreadyAnswered
    frozen = _frozen(session, survey_id, str(state.fingerprint))
    _check_line(frozen, line)  # every rule; raises naming the question
    if not is_canonical(line, raw):
        raise AnswerInvalid("the answer is not in canonical form")
    leaf = fmt.answer_leaf(raw).hex()
    stored = {
        "survey_id": survey_id,
        "credential_key": key_hex,
        "audience": line["audience"],
        "leaf_hash": leaf,
        "line": raw.decode(),
        "leaf_index": None,
    }
    try:
        session.execute(_STORE_ANSWER, stored)
        still_open, waiting = _open_and_waiting(session, survey_id)
    except IntegrityError as error:
        session.rollback()
        raise AlreadyAnswered from error
    if not still_open:  # the close came first: its final batch cannot have seen this answer
        session.rollback()
        raise SurveyClosedAlready
    session.commit()
    if waiting >= BATCH_SIZE:
        flush_board(session, settings, survey_id)
    return {"survey": str(survey_id), "answer_hash": leaf, "fingerprint": frozen.fingerprint}


@dataclass(frozen=True, slots=True)
class _Frozen:
    """What an answer to an open survey is checked against; all of it is bound by the
    fingerprint, so it cannot change while the fingerprint stays the same."""

    survey_id: str
    fingerprint: str
    manifest: SurveyManifest
    issuers: dict[str, str]
    """Issuer SPKI (hex) by credential name (`_issuers`)."""


_FROZEN: dict[tuple[uuid.UUID, str], _Frozen] = {}
_FROZEN_LIMIT: Final = 64


def _frozen(session: Session, survey_id: uuid.UUID, fingerprint: str) -> _Frozen:
    """The survey's frozen parts, read once per process and fingerprint."""
    found = _FROZEN.get((survey_id, fingerprint))
    if found is None:
        survey = get_survey(session, survey_id)
        if survey.fingerprint != fingerprint:  # changed between the two reads: not open yet
            raise SurveyNotOpen
        found = _Frozen(str(survey.id), fingerprint, manifest_of(survey), _issuers(survey))
        if len(_FROZEN) >= _FROZEN_LIMIT:
            _FROZEN.clear()
        _FROZEN[(survey_id, fingerprint)] = found
    return found


def _open_and_waiting(session: Session, survey_id: uuid.UUID) -> tuple[bool, int]:
    """After the answer's insert, in its transaction: is the survey still open, and how
    many answers wait for the board (one round trip for both).

    With `close_survey`'s ``FOR UPDATE`` this keeps every receipt in the record: the
    insert's foreign key holds ``FOR KEY SHARE`` on the survey row until the answer
    commits, so a close that has not yet locked the row waits for this answer and its
    final batch includes it; an insert that comes after the lock waits for the close to
    commit, and this read (a new statement, read committed) then sees it closed.
    """
    row = session.execute(_OPEN_AND_WAITING, {"survey_id": survey_id}).one()
    return row[0] == SurveyStatus.OPEN, int(row[1] or 0)


# The statements of every answer, built once: constructing them cost more than running
# them (a fifth of an answer's time in the web process).
_ANSWER_STATE = select(Survey.status, Survey.opens_at, Survey.closes_at, Survey.fingerprint).where(
    Survey.id == bindparam("survey_id")
)
_ANSWERED = select(SurveyAnswer.id).where(
    SurveyAnswer.survey_id == bindparam("survey_id"),
    SurveyAnswer.credential_key == bindparam("credential_key"),
)
_STORE_ANSWER = insert(SurveyAnswer)
_OPEN_AND_WAITING = select(
    Survey.status,
    select(func.count())
    .select_from(SurveyAnswer)
    .where(SurveyAnswer.survey_id == bindparam("survey_id"), SurveyAnswer.leaf_index.is_(None))
    .scalar_subquery(),
).where(Survey.id == bindparam("survey_id"))


def _waiting(session: Session, survey_id: uuid.UUID) -> int:
    """Answers not yet on the board (the index on (survey, leaf index) finds them)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(SurveyAnswer)
            .where(SurveyAnswer.survey_id == survey_id, SurveyAnswer.leaf_index.is_(None))
        )
        or 0
    )


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        line = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AnswerInvalid("not JSON") from error
    if not isinstance(line, dict) or sorted(line) not in (
        sorted(fmt.LINE_KEYS),
        sorted(fmt.CLASSED_LINE_KEYS),
    ):
        raise AnswerInvalid("fields are not " + ", ".join(fmt.LINE_KEYS))
    credential = line["credential"]
    if not isinstance(credential, dict) or sorted(credential) != sorted(fmt.CREDENTIAL_KEYS):
        raise AnswerInvalid("credential fields wrong")
    return line


def _credential_key_hex(line: Mapping[str, Any]) -> str:
    key = line["credential"]["public_key"]
    if not isinstance(key, str) or len(key) != 64:  # noqa: PLR2004 - 32 bytes as hex
        raise AnswerInvalid("credential key malformed")
    return key


def _check_line(frozen: _Frozen, line: Mapping[str, Any]) -> dict[str, Any]:
    if line["survey"] != frozen.survey_id or line["fingerprint"] != frozen.fingerprint:
        raise AnswerInvalid("the answer belongs to another survey")
    if not isinstance(line["audience"], str) or not isinstance(line.get(fmt.CLASS, ""), str):
        raise AnswerInvalid("audience malformed")
    name = fmt.line_name(line)
    spki = frozen.issuers.get(name)
    if spki is None:
        if line["audience"] == fmt.GUESTS:
            raise MembersOnly
        raise AnswerInvalid("the credential was not issued for this survey")
    credential = line["credential"]
    try:
        key = Ed25519PublicKey.from_hex(credential["public_key"])
        prefix = bytes.fromhex(credential["prefix"])
        issuer_sig = bytes.fromhex(credential["signature"])
        signature = bytes.fromhex(line["signature"])
    except (TypeError, ValueError, SigningError) as error:
        raise AnswerInvalid("credential or signature malformed") from error
    message = fmt.credential_message(frozen.survey_id, name, key.hex())
    if not verify_blind(_public_key(spki), prefix + message, issuer_sig):
        raise AnswerInvalid("the credential was not issued for this survey")
    if not verify(key, fmt.ANSWER_LABEL, fmt.signed_payload(line), signature):
        raise AnswerInvalid("the answer signature is invalid")
    try:
        canonical = check_answers(frozen.manifest, line["answers"])
    except AnswerRefused as refused:
        raise AnswerInvalid(str(refused), refused.question) from refused
    if canonical != line["answers"]:
        raise AnswerInvalid("the answers are not in canonical form")
    return canonical


def flush_board(
    session: Session, settings: Settings, survey_id: uuid.UUID, *, minimum: int = 1
) -> int:
    """Shuffle the waiting answers onto the board once at least ``minimum`` wait.

    Under the survey's row lock (``FOR NO KEY UPDATE``; SQLite serialises writers), so
    concurrent flushes cannot interleave; the row is read again under the lock
    (``populate_existing``: sessions keep objects across commits, and a stale board size
    would overwrite another flush). The waiting answers are counted first without the
    lock, so an answer that does not fill a batch never waits for the lock. Returns how
    many were appended.
    """
    if minimum > 1 and _waiting(session, survey_id) < minimum:
        session.rollback()
        return 0
    # FOR NO KEY UPDATE (key_share): concurrent flushes wait for each other, but an
    # answer being stored does not wait for a flush (its foreign key takes FOR KEY
    # SHARE on the survey row, which FOR UPDATE would block).
    survey = session.scalars(
        select(Survey)
        .where(Survey.id == survey_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).one()
    waiting = list(
        session.execute(
            select(
                SurveyAnswer.id,
                SurveyAnswer.leaf_hash,
                SurveyAnswer.line,
                SurveyAnswer.credential_key,
                SurveyAnswer.audience,
            ).where(SurveyAnswer.survey_id == survey_id, SurveyAnswer.leaf_index.is_(None))
        )
    )
    if len(waiting) < minimum or not waiting:
        session.rollback()
        return 0
    secrets.SystemRandom().shuffle(waiting)
    seed = bytes.fromhex(
        decrypt_field(settings.security.secret_key, BOARD_PURPOSE, str(survey.board_key_encrypted))
    )
    signer = board.signer(origin(survey), seed)
    # One signed checkpoint per batch, kept with the others: receipts name it, and the
    # record lists every one (record §5), so the board cannot be rewritten unnoticed.
    batch = board.append_batch(
        board.BoardState(survey.board_size, survey.board_frontier),
        [bytes.fromhex(row[1]) for row in waiting],
        signer,
    )
    placed = [
        {
            "id": answer_id,
            "survey_id": survey_id,
            "credential_key": key,
            "audience": audience,
            "leaf_hash": leaf,
            "line": line,
            "leaf_index": batch.first_index + offset,
        }
        for offset, (answer_id, leaf, line, key, audience) in enumerate(waiting)
    ]
    _rewrite_in_board_order(session, placed)
    session.add(SurveyCheckpoint(survey_id=survey_id, tree_size=batch.state.size, note=batch.note))
    survey.checkpoint = batch.note
    survey.board_size, survey.board_frontier = batch.state.size, batch.state.frontier
    survey.live_tallies = json.dumps(
        _add_to_live(survey, [row[2] for row in waiting]), separators=(",", ":")
    )
    session.commit()
    return len(waiting)


def _rewrite_in_board_order(session: Session, placed: list[dict[str, Any]]) -> None:
    """Write the batch's answers again, in board order, with their places.

    Deleted and inserted, not updated: an UPDATE leaves a row where it was stored, and
    the order of storage (SQLite's rowid, for good; PostgreSQL's place in the table) is
    the order of arrival, which the shuffle is there to hide from anyone who reads the
    database or a backup of it. One DELETE and one executemany per 5,000 answers.
    """
    for start in range(0, len(placed), 5000):
        chunk = placed[start : start + 5000]
        session.execute(
            delete(SurveyAnswer)
            .where(SurveyAnswer.id.in_([row["id"] for row in chunk]))
            .execution_options(synchronize_session=False)
        )
        session.execute(insert(SurveyAnswer), chunk)


# --- running tallies: live results without scanning the answers -------------------------


def _empty_live(survey: Survey, manifest: SurveyManifest) -> dict[str, Any]:
    live: dict[str, Any] = {name: empty_tally(manifest) for name in _audiences(survey)}
    live["classes"] = {}
    return live


def _audiences(survey: Survey) -> list[str]:
    return [fmt.MEMBERS, fmt.GUESTS] if survey.guests_allowed else [fmt.MEMBERS]


def _add_to_live(survey: Survey, lines: list[str]) -> dict[str, Any]:
    """The running tallies with a batch of (checked) lines added: per audience, and per
    class for the breakdown."""
    manifest = manifest_of(survey)
    live = json.loads(survey.live_tallies) if survey.live_tallies else _empty_live(survey, manifest)
    for raw in lines:
        line = json.loads(raw)
        add_to_tally(manifest, live[line["audience"]], line["answers"])
        class_id = line.get(fmt.CLASS)
        if class_id is not None:
            tally = live["classes"].setdefault(class_id, empty_tally(manifest))
            add_to_tally(manifest, tally, line["answers"])
    return live


def answer_receipt(session: Session, survey_id: uuid.UUID, answer_hash: str) -> dict[str, Any]:
    """Where an answer is on the board, or that it waits for its batch.

    On the board, the receipt (record §10) names the signed checkpoint of the answer's
    batch, the one that was current when the answer was boarded, and the RFC 9162
    inclusion path of the answer in it. Whoever keeps it can later check the record
    against it (``stimmwerk verify RECORD --receipt FILE``): the final board must be an
    append-only extension of that checkpoint, with the answer still at its place.
    """
    index = session.scalar(
        select(SurveyAnswer.leaf_index).where(
            SurveyAnswer.survey_id == survey_id, SurveyAnswer.leaf_hash == answer_hash
        )
    )
    survey = get_survey(session, survey_id)
    if index is None:
        found = session.scalar(
            select(SurveyAnswer.id).where(
                SurveyAnswer.survey_id == survey_id, SurveyAnswer.leaf_hash == answer_hash
            )
        )
        if found is None:
            raise NotFound
        return {"answer_hash": answer_hash, "status": "waiting"}
    size, note = session.execute(
        select(SurveyCheckpoint.tree_size, SurveyCheckpoint.note)
        .where(SurveyCheckpoint.survey_id == survey_id, SurveyCheckpoint.tree_size > index)
        .order_by(SurveyCheckpoint.tree_size)
        .limit(1)
    ).one()
    return {
        "survey": str(survey_id),
        "fingerprint": survey.fingerprint,
        "answer_hash": answer_hash,
        "status": "on_board",
        "index": index,
        "checkpoint": note,
        "inclusion_path": [h.hex() for h in _inclusion_path(session, survey_id, index, size)],
    }


def _inclusion_path(
    session: Session, survey_id: uuid.UUID, index: int, size: int
) -> tuple[bytes, ...]:
    """PATH(index, D[size]) from the board's leaves (RFC 9162 §2.1.3.1).

    The board's tree is kept per process and only extended by the leaves boarded since
    the last look-up (the board is append-only and every reader sees a committed prefix
    of it, as `ballots.services.current_receipt`), so a look-up does not read every leaf
    again.
    """
    with _TREES_LOCK:
        tree = _TREES.get(survey_id)
        if tree is None:
            if len(_TREES) >= _TREES_LIMIT:
                _TREES.clear()
            tree = _TREES[survey_id] = MerkleTree()
        if tree.size < size:
            for leaf in session.scalars(
                select(SurveyAnswer.leaf_hash)
                .where(
                    SurveyAnswer.survey_id == survey_id,
                    SurveyAnswer.leaf_index >= tree.size,
                    SurveyAnswer.leaf_index < size,
                )
                .order_by(SurveyAnswer.leaf_index)
            ):
                tree.append(bytes.fromhex(leaf))
        return tree.inclusion_proof(index, size).path


_TREES: dict[uuid.UUID, MerkleTree] = {}
_TREES_LIMIT: Final = 16
_TREES_LOCK = threading.Lock()


# --- closing, results, record -----------------------------------------------------------


def close_survey(
    session: Session, settings: Settings, actor: Account | None, survey_id: uuid.UUID
) -> Survey:
    """No more answers; the last batch onto the board; results and the record, once."""
    survey = get_survey(session, survey_id)
    if actor is not None:
        _require_staff(session, actor, _unit(session, survey.unit_id))
    if survey.status != SurveyStatus.OPEN:
        raise SurveyNotOpen
    paper = paper_line(session, survey.id)
    if paper is not None and paper.confirmed_by is None:
        raise PaperUnconfirmed
    # FOR UPDATE, not the flush's key-share lock: it waits for every answer being stored
    # (their foreign keys hold FOR KEY SHARE until they commit), and answers inserted
    # after it wait for the close and then refuse themselves (`_open_and_waiting`).
    session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
    # Claimed with a conditional UPDATE: two closers at once (staff and the schedule,
    # or two ticks) cannot both build the record.
    claimed = session.execute(
        update(Survey)
        .where(Survey.id == survey.id, Survey.status == SurveyStatus.OPEN)
        .values(status=SurveyStatus.CLOSED)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise SurveyNotOpen
    session.commit()
    flush_board(session, settings, survey.id)
    survey = get_survey(session, survey_id)
    # As the ballot core at its close: the row versions no longer give the order in
    # which members (and guests) asked for their credentials.
    issuance.blur_issuance_order(session, SurveyRollEntry, SurveyRollEntry.survey_id == survey.id)
    issuance.blur_issuance_order(session, SurveyGuestEntry, SurveyGuestEntry.survey_id == survey.id)
    files = build_record_files(session, settings, survey)
    survey.results = files["results.json"].decode()
    survey.record_zip = zip_record(files, f"survey-{survey.id}")
    survey.record_etag = hashlib.sha256(survey.record_zip).hexdigest()
    record_event(
        session,
        "survey:closed",
        actor_id=actor.id if actor else None,
        object_type="survey",
        object_id=survey.id,
        answers=survey.board_size,
        credentials=credential_counts(session, survey),
    )
    session.commit()
    return survey


def credential_counts(session: Session, survey: Survey) -> dict[str, int]:
    members = session.scalar(
        select(func.count())
        .select_from(SurveyRollEntry)
        .where(
            SurveyRollEntry.survey_id == survey.id,
            SurveyRollEntry.credential_issued_on.is_not(None),
        )
    )
    counts = {fmt.MEMBERS: int(members or 0)}
    if survey.guests_allowed:
        guests = session.scalar(
            select(func.count())
            .select_from(SurveyGuestEntry)
            .where(SurveyGuestEntry.survey_id == survey.id)
        )
        counts[fmt.GUESTS] = int(guests or 0)
    return counts


def class_credential_counts(session: Session, survey: Survey) -> dict[str, int]:
    """Credentials issued per breakdown class (every class named, 0 if none)."""
    counts = dict.fromkeys(classes_of(survey), 0)
    for class_id, count in session.execute(
        select(SurveyRollEntry.class_id, func.count())
        .where(
            SurveyRollEntry.survey_id == survey.id,
            SurveyRollEntry.credential_issued_on.is_not(None),
            SurveyRollEntry.class_id.is_not(None),
        )
        .group_by(SurveyRollEntry.class_id)
    ):
        counts[str(class_id)] = int(count)
    return counts


def board_lines(session: Session, survey_id: uuid.UUID) -> list[bytes]:
    return [
        line.encode()
        for line in session.scalars(
            select(SurveyAnswer.line)
            .where(SurveyAnswer.survey_id == survey_id, SurveyAnswer.leaf_index.is_not(None))
            .order_by(SurveyAnswer.leaf_index)
        )
    ]


def checkpoint_notes(session: Session, survey_id: uuid.UUID) -> list[str]:
    """Every signed checkpoint of the board, by tree size (the record's history)."""
    return list(
        session.scalars(
            select(SurveyCheckpoint.note)
            .where(SurveyCheckpoint.survey_id == survey_id)
            .order_by(SurveyCheckpoint.tree_size)
        )
    )


def build_record_files(session: Session, settings: Settings, survey: Survey) -> dict[str, bytes]:
    """The record's files (``docs/surveys/record.md``); ``settings`` decrypts the roll key
    (the frozen list's entries are derived from it)."""
    unit = _unit(session, survey.unit_id)
    counts = credential_counts(session, survey)
    audiences: dict[str, dict[str, Any]] = {
        fmt.MEMBERS: {
            "issuer_spki": survey.member_issuer_spki,
            "eligible": survey.eligible_members,
            "credentials": counts[fmt.MEMBERS],
        }
    }
    classes: dict[str, dict[str, Any]] | None = None
    if survey.classes is not None:
        issued = class_credential_counts(session, survey)
        classes = {cid: {**c, "credentials": issued[cid]} for cid, c in classes_of(survey).items()}
    if survey.guests_allowed:
        audiences[fmt.GUESTS] = {
            "issuer_spki": survey.guest_issuer_spki,
            "eligible": None,
            "credentials": counts[fmt.GUESTS],
        }
    paper = confirmed_paper(session, survey.id)
    return record_files(
        paper=paper,
        survey_id=str(survey.id),
        manifest=manifest_of(survey),
        unit=unit.code,
        opens_at=_stamp(survey.opens_at),
        closes_at=_stamp(survey.closes_at),
        audiences=audiences,
        origin=origin(survey),
        board_public_key=str(survey.board_public_key),
        lines=board_lines(session, survey.id),
        checkpoints=checkpoint_notes(session, survey.id),
        breakdown=spec_of(survey).as_json() if classes else None,
        classes=classes,
        roll=roll.roll_document(session, survey.id, _roll_key(settings, survey)),
        roll_commitment=str(survey.roll_commitment),
    )


def results(session: Session, survey: Survey, *, staff: bool = False) -> dict[str, Any] | None:
    """Results per audience: after the close for everyone; live only if staff chose so.

    Live results count what is on the board (answers still waiting for their batch are
    not shown, so a live count never reveals one fresh answer), from the running tallies
    (`flush_board` keeps them): no request scans the answers. With a breakdown, the
    rows that may be shown are under ``"breakdown"`` (`surveys.breakdown`).
    """
    if survey.status == SurveyStatus.CLOSED and survey.results is not None:
        return dict(_stored_results(survey.id, str(survey.record_etag), survey.results))
    if survey.status == SurveyStatus.OPEN and (survey.results_live or staff):
        shown = dict(_live_results(survey))
        paper = confirmed_paper(session, survey.id)
        if paper is not None:
            shown[fmt.PAPER] = paper_tally(manifest_of(survey), paper)
        return shown
    return None


# Results are read on every results page and JSON request (the page asks twice: figures
# and breakdown). They change only with the board (the running tallies are written with
# its size, in one transaction) or at the close (the record's hash), so each process
# computes them once per board size or record; callers must not change what they get
# (they get a copy of the top level; the paper line is added per request).
_RESULTS_CACHE: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
_RESULTS_LIMIT: Final = 32


def _remembered(key: tuple[uuid.UUID, str], make: Any) -> dict[str, Any]:
    found = _RESULTS_CACHE.get(key)
    if found is None:
        found = make()
        if len(_RESULTS_CACHE) >= _RESULTS_LIMIT:
            _RESULTS_CACHE.clear()
        _RESULTS_CACHE[key] = found
    return found


def _stored_results(survey_id: uuid.UUID, etag: str, text: str) -> dict[str, Any]:
    return _remembered((survey_id, f"closed:{etag}"), lambda: json.loads(text))


def _live_results(survey: Survey) -> dict[str, Any]:
    """The audiences' running tallies and the breakdown rows that may be shown."""

    def make() -> dict[str, Any]:
        manifest = manifest_of(survey)
        live = (
            json.loads(survey.live_tallies)
            if survey.live_tallies
            else _empty_live(survey, manifest)
        )
        shown: dict[str, Any] = {name: live[name] for name in _audiences(survey)}
        infos = class_infos(survey)
        if infos:
            shown["breakdown"] = bd.breakdown(manifest, spec_of(survey), infos, live["classes"])
        return shown

    key = f"live:{survey.board_size}:{survey.guests_allowed}:{survey.fingerprint}"
    return _remembered((survey.id, key), make)


# --- the paper line (record §6): entered by one staff member, confirmed by another ------


def paper_line(session: Session, survey_id: uuid.UUID) -> SurveyPaperLine | None:
    return session.get(SurveyPaperLine, survey_id)


def confirmed_paper(session: Session, survey_id: uuid.UUID) -> dict[str, Any] | None:
    """The confirmed paper line (canonical form), or None."""
    row = paper_line(session, survey_id)
    if row is None or row.confirmed_by is None:
        return None
    return json.loads(row.line)  # type: ignore[no-any-return]


def _paper_survey(session: Session, actor: Account, survey_id: uuid.UUID) -> Survey:
    survey = get_survey(session, survey_id)
    _require_staff(session, actor, _unit(session, survey.unit_id))
    if survey.status != SurveyStatus.OPEN:
        raise SurveyNotOpen
    return survey


def _checked_paper(survey: Survey, line: object) -> dict[str, Any]:
    try:
        checked = check_paper_line(manifest_of(survey), line)
    except PaperLineRefused as refused:
        raise PaperLineInvalid(refused.message, refused.question) from refused
    # The verifier's rule 6 (record §6.2) at its loosest: more questionnaires than
    # members who may answer would publish a record that fails `stimmwerk verify`.
    if checked["questionnaires"] > (survey.eligible_members or 0):
        raise PaperLineInvalid(N_("more questionnaires came back than members may answer"))
    return checked


def enter_paper_line(
    session: Session, actor: Account, survey_id: uuid.UUID, line: object
) -> SurveyPaperLine:
    """A staff member enters the counted paper questionnaires (aggregates per question).

    Only while the survey is open (the record is built at the close); the line counts
    once a different staff member confirms it with the same figures.
    """
    survey = _paper_survey(session, actor, survey_id)
    checked = _checked_paper(survey, line)
    if paper_line(session, survey.id) is not None:
        raise PaperLineExists
    row = SurveyPaperLine(
        survey_id=survey.id, line=canonical_json(checked).decode(), entered_by=actor.id
    )
    session.add(row)
    record_event(
        session,
        "survey:paper_entered",
        actor_id=actor.id,
        object_type="survey",
        object_id=survey.id,
        questionnaires=checked["questionnaires"],
    )
    session.commit()
    return row


def confirm_paper_line(
    session: Session, actor: Account, survey_id: uuid.UUID, line: object
) -> SurveyPaperLine:
    """A second staff member counts again and enters the same figures; then it counts.

    Refused (nothing stored): the person who entered it, different figures, no line, or a
    line already confirmed.
    """
    survey = _paper_survey(session, actor, survey_id)
    row = paper_line(session, survey.id)
    if row is None:
        raise PaperLineMissing
    if row.confirmed_by is not None:
        raise PaperLineExists
    if row.entered_by == actor.id:
        raise PaperSamePerson
    checked = _checked_paper(survey, line)
    if canonical_json(checked).decode() != row.line:
        raise PaperMismatch
    row.confirmed_by = actor.id
    row.confirmed_at = datetime.now(UTC)
    record_event(
        session,
        "survey:paper_confirmed",
        actor_id=actor.id,
        object_type="survey",
        object_id=survey.id,
        questionnaires=checked["questionnaires"],
    )
    session.commit()
    return row


def discard_paper_line(session: Session, actor: Account, survey_id: uuid.UUID) -> None:
    """An unconfirmed line is withdrawn (figures disagreed): it can be entered again."""
    survey = _paper_survey(session, actor, survey_id)
    row = paper_line(session, survey.id)
    if row is None:
        raise PaperLineMissing
    if row.confirmed_by is not None:
        raise PaperLineExists
    session.delete(row)
    record_event(
        session,
        "survey:paper_discarded",
        actor_id=actor.id,
        object_type="survey",
        object_id=survey.id,
    )
    session.commit()
