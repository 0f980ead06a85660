"""Checking single fields; every problem becomes a RowError with its line number."""

from __future__ import annotations

import functools
from datetime import date

from email_validator import EmailNotValidError, validate_email

from app.core.i18n import N_
from app.core.inputs import single_line_problem
from app.organisations.imports._common import (
    _ASCII_LOCAL_PART,
    _FIRST_BIRTH_YEAR,
    _GERMAN_DATE,
    _ISO_DATE,
    _MAX_ECHO,
    _MAX_EMAIL,
    _MEMBERSHIP_NUMBER,
    _UNIT_CODE,
    _YEAR_DIGITS,
    LEVEL_ALIASES,
    POSTAL_VOTE_VALUES,
    STATUS_ALIASES,
    RowError,
)
from app.organisations.models import (
    MemberStatus,
    UnitLevel,
)

# --- Checking fields ----------------------------------------------------------------------
# Each checker returns the cleaned value and appends a RowError if the input is bad (the
# returned placeholder is then never written). No exceptions: cheap on 400,000 rows.


def _echo(value: str) -> str | None:
    return (value if len(value) <= _MAX_ECHO else value[:_MAX_ECHO] + "…") or None


def _text(
    errors: list[RowError], line: int, name: str, raw: str, max_length: int, *, echo: bool
) -> str:
    value = raw.strip()
    if not value:
        errors.append(RowError(line, name, N_("This field is required.")))
    elif single_line_problem(value):
        # NUL would fail on PostgreSQL with the row in the error; line breaks and
        # bidi controls have no place in a name that ends up in mails and lists.
        errors.append(RowError(line, name, N_("The value contains control characters.")))
    elif len(value) > max_length:
        shown = _echo(value) if echo else None
        errors.append(RowError(line, name, N_("The value is too long."), shown))
    return value


def _unit_code(errors: list[RowError], line: int, raw: str) -> str | None:
    code = raw.strip()
    if _UNIT_CODE.match(code):
        return code
    if not code:
        errors.append(RowError(line, "code", N_("This field is required.")))
    else:
        message = N_(
            "A code starts with a letter or digit and may only contain letters, digits, "
            "'.', '_' and '-' (at most 32)."
        )
        errors.append(RowError(line, "code", message, _echo(code)))
    return None


def _level(errors: list[RowError], line: int, raw: str) -> UnitLevel | None:
    level = LEVEL_ALIASES.get(raw.strip().lower())
    if level is None:
        errors.append(RowError(line, "level", N_("The level is not known."), _echo(raw.strip())))
    return level


def _membership_number(errors: list[RowError], line: int, raw: str) -> str | None:
    number = raw.strip()
    if _MEMBERSHIP_NUMBER.match(number):
        return number
    if not number:
        errors.append(RowError(line, "membership_number", N_("This field is required.")))
    else:
        message = N_("A membership number may only contain letters, digits and '-' (at most 32).")
        errors.append(RowError(line, "membership_number", message, _echo(number)))
    return None


@functools.lru_cache(maxsize=4096)
def _domain_is_valid(domain: str) -> bool:
    """email-validator's verdict on a domain; a register uses few domains, so cache it."""
    try:
        validate_email(f"x@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _email(errors: list[RowError], line: int, raw: str) -> str | None:
    """The lower-cased address, or ``None`` if empty; syntax only, no DNS lookups.

    email-validator takes ~35 µs an address (14 s for the register), so plain ASCII
    addresses take a fast path: the local part is matched with the library's own dot-atom
    pattern and the domain is judged by the library once per distinct domain. Anything
    else (non-ASCII, quoted or broken addresses) goes through the library in full.
    """
    address = raw.strip().lower()
    if not address:
        return None
    local, at, domain = address.rpartition("@")
    fast = at and address.isascii() and len(address) <= _MAX_EMAIL
    if fast and _ASCII_LOCAL_PART.match(local) and _domain_is_valid(domain):
        return address
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors.append(RowError(line, "email", N_("The e-mail address is not valid.")))
    return None


def _birth_year(errors: list[RowError], line: int, raw: str, this_year: int) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if len(text) == _YEAR_DIGITS and text.isascii() and text.isdigit():
        year = int(text)
        if _FIRST_BIRTH_YEAR <= year <= this_year:
            return year
    message = N_("The birth year must be a four-digit year from 1900 to the current year.")
    errors.append(RowError(line, "birth_year", message))
    return None


@functools.lru_cache(maxsize=65536)
def _parse_date(text: str) -> date | None:
    """ISO ``YYYY-MM-DD`` or German ``DD.MM.YYYY``; cached, as a register repeats dates."""
    if iso := _ISO_DATE.match(text):
        year, month, day = iso.groups()
    elif german := _GERMAN_DATE.match(text):
        day, month, year = german.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:  # e.g. 31.02.2020
        return None


def _joined_on(errors: list[RowError], line: int, raw: str) -> date | None:
    text = raw.strip()
    parsed = _parse_date(text) if text else None
    if text and parsed is None:
        message = N_("The date is not valid; use YYYY-MM-DD or DD.MM.YYYY.")
        errors.append(RowError(line, "joined_on", message))
    return parsed


def _status(errors: list[RowError], line: int, raw: str) -> str:
    status = STATUS_ALIASES.get(raw.strip().lower())
    if status is None:
        message = N_("The status is not known; use active or left (aktiv, ausgetreten).")
        errors.append(RowError(line, "status", message, _echo(raw.strip())))
        return MemberStatus.ACTIVE.value
    return status.value


def _postal_vote(errors: list[RowError], line: int, raw: str) -> bool:
    flag = POSTAL_VOTE_VALUES.get(raw.strip().lower())
    if flag is None:
        message = N_("Use 1/0, true/false, ja/nein, yes/no or leave the postal vote empty.")
        errors.append(RowError(line, "postal_vote", message, _echo(raw.strip())))
        return False
    return flag
