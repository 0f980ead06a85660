"""Reading and correcting member data, always within the reader's scope.

Every read of someone else's member data goes through ``MemberDirectory`` which checks
the policy on the object and writes an audit event (GDPR Art. 9: party membership is
special-category data, so access by officials is logged).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.accounts.services import AccountService
from app.core.audit import record_event
from app.core.errors import Forbidden, ValidationFailed
from app.core.i18n import N_
from app.core.lookup import get_or_404
from app.core.secrets_box import decrypt_field, encrypt_field
from app.organisations import policies
from app.organisations.models import Member, MemberStatus, Unit
from app.organisations.units import subtree_filter

PAGE_SIZE = 50
_IBAN_PURPOSE = "member-iban"


@dataclass(frozen=True)
class MemberPage:
    unit: Unit
    items: list[Member]
    total: int
    page: int
    pages: int
    query: str
    include_left: bool


class MemberDirectory:
    """Scoped access to the member register for officials (admin, staff, board)."""

    def __init__(self, session: Session, viewer: Account) -> None:
        self.session = session
        self.viewer = viewer

    def page(
        self, unit: Unit, *, page: int = 1, query: str = "", include_left: bool = False
    ) -> MemberPage:
        if not policies.may_see_members_of(self.session, self.viewer, unit):
            raise Forbidden
        conditions: list[Any] = [subtree_filter(unit)]
        if not include_left:
            conditions.append(Member.status == MemberStatus.ACTIVE)
        text = query.strip()
        if text:
            conditions.append(_search_condition(text))
        total = int(
            self.session.scalar(select(func.count()).select_from(Member).where(*conditions)) or 0
        )
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(max(1, page), pages)
        items = self._page_rows(conditions, page)
        record_event(
            self.session,
            "members:listed",
            actor_id=self.viewer.id,
            object_type="unit",
            object_id=unit.id,
            page=page,
        )
        self.session.commit()
        return MemberPage(unit, items, total, page, pages, text, include_left)

    def _page_rows(self, conditions: list[Any], page: int) -> list[Member]:
        """One page in list order, paged over the index before any row is loaded.

        With a plain OFFSET the database fetches every skipped row; selecting the page's
        ids first walks only the covering (unit_id, status, names, id) index, so the last
        page of a 50,000-member branch costs about as much as the first.
        """
        order = (Member.family_name, Member.given_name, Member.id)
        page_ids = list(
            self.session.scalars(
                select(Member.id)
                .where(*conditions)
                .order_by(*order)
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            )
        )
        if not page_ids:
            return []
        return list(
            self.session.scalars(select(Member).where(Member.id.in_(page_ids)).order_by(*order))
        )

    def get(self, member_id: int) -> Member:
        member = get_or_404(
            self.session,
            Member,
            member_id,
            may=lambda m: policies.may_see_members_of(self.session, self.viewer, m.unit),
        )
        record_event(
            self.session,
            "member:viewed",
            actor_id=self.viewer.id,
            object_type="member",
            object_id=member.id,
        )
        self.session.commit()
        return member


def _search_condition(text: str) -> ColumnElement[bool]:
    """A membership number is looked up exactly; anything else is a family-name prefix.

    Both are answered from indexes: the prefix test runs on the list index's name
    column without loading rows, which keeps a search in a 50,000-member branch fast.
    User input is escaped, so % and _ are matched literally.
    """
    if any(char.isdigit() for char in text):
        return Member.membership_number == text
    return Member.family_name.istartswith(text, autoescape=True)


def own_member(session: Session, account: Account) -> Member:
    return get_or_404(session, Member, account.member_id)


def confirm_email_change(
    session: Session, accounts: AccountService, token: str, *, keep_session: str | None = None
) -> Account:
    """Apply a confirmed address change to the login and, for members, the register."""
    account, address = accounts.confirm_email_change(token, keep_session=keep_session)
    _set_register_address(session, account, address)
    session.commit()
    return account


def undo_email_change(
    session: Session, accounts: AccountService, token: str, password: str
) -> Account:
    """Give the login and, for members, the register entry back to the old address."""
    account, address = accounts.undo_email_change(token, password)
    _set_register_address(session, account, address)
    session.commit()
    return account


def _set_register_address(session: Session, account: Account, address: str) -> None:
    if account.member_id is not None:
        member = session.get(Member, account.member_id)
        if member is not None:
            member.email = address


# -- contact data -------------------------------------------------------------------------

_PHONE = re.compile(r"^\+?[0-9 ()/-]{5,30}$")
_POSTCODE = re.compile(r"^[0-9A-Za-z -]{3,10}$")


@dataclass(frozen=True)
class ContactChange:
    phone: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    iban: str = ""  # empty keeps the stored IBAN; "-" removes it


def normalise_iban(raw: str) -> str | None:
    """Validate an IBAN by its ISO 13616 mod-97 check digits; return it compact."""
    iban = re.sub(r"\s+", "", raw).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        return None
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return iban if int(digits) % 97 == 1 else None


def masked_iban(secret_key: str, member: Member) -> str | None:
    if not member.iban_encrypted:
        return None
    iban = decrypt_field(secret_key, _IBAN_PURPOSE, member.iban_encrypted)
    return f"{iban[:4]} •••• {iban[-4:]}"


def update_contact(
    session: Session, secret_key: str, account: Account, change: ContactChange
) -> list[str]:
    """Apply the member's own corrections; return the names of the changed fields."""
    member = own_member(session, account)
    errors = _contact_errors(change)
    if errors:
        raise ValidationFailed(errors)
    changed: list[str] = []
    for field in ("phone", "street", "postcode", "city"):
        value = getattr(change, field).strip() or None
        if getattr(member, field) != value:
            setattr(member, field, value)
            changed.append(field)
    iban_input = change.iban.strip()
    if iban_input == "-" and member.iban_encrypted:
        member.iban_encrypted = None
        changed.append("iban")
    elif iban_input and iban_input != "-":
        iban = normalise_iban(iban_input)
        assert iban is not None  # checked in _contact_errors
        member.iban_encrypted = encrypt_field(secret_key, _IBAN_PURPOSE, iban)
        changed.append("iban")
    if changed:
        record_event(
            session,
            "member:contact_updated",
            actor_id=account.id,
            object_type="member",
            object_id=member.id,
            fields=changed,
        )
    session.commit()
    return changed


def _contact_errors(change: ContactChange) -> dict[str, str]:
    errors: dict[str, str] = {}
    if change.phone.strip() and not _PHONE.match(change.phone.strip()):
        errors["phone"] = N_("Please enter a phone number with digits only (and + - / ( )).")
    if change.postcode.strip() and not _POSTCODE.match(change.postcode.strip()):
        errors["postcode"] = N_("Please enter a valid postcode.")
    if len(change.street) > 200 or len(change.city) > 100:  # noqa: PLR2004 - column sizes
        errors["street"] = N_("This text is too long.")
    iban = change.iban.strip()
    if iban and iban != "-" and normalise_iban(iban) is None:
        errors["iban"] = N_("This IBAN is not valid (check digits do not match).")
    return errors
