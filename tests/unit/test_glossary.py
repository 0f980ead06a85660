"""One word for one thing (docs/glossary.md): member-facing catalogs avoid the synonyms."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from app.core.i18n import TRANSLATIONS_DIR

# Catalogs of texts members read (the audit log and staff-only texts are not checked).
MEMBER_CATALOGS = [
    "referendums_pages.po",
    "referendums_voting.po",
    "referendums_members.po",
    "referendums_commission.po",
    "ballot_trust.po",
    "ballot_secrecy.po",
]
AVOID = {
    "Wählerverzeichnis": "Stimmverzeichnis",
    "Wählerliste": "Stimmverzeichnis",
    "Briefabstimmung": "Briefwahl",
    "Wahlberechtigte": "Stimmberechtigte",
    "Wahlzettel": "Stimmzettel",
    "Datenschutzerklärung": "Datenschutzhinweis",
    "UTC": "local time written out",
}


@pytest.mark.parametrize("name", MEMBER_CATALOGS)
def test_member_catalogs_use_the_glossary_words(name: str) -> None:
    path = TRANSLATIONS_DIR / "de" / "LC_MESSAGES" / name
    if not path.exists():
        pytest.skip(f"{name} is not part of this version")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="de")
    found = []
    for message in catalog:
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in texts:
            for word, instead in AVOID.items():
                if text and re.search(rf"\b{word}\b", text):
                    found.append(f"{word!r} (say {instead!r}): {text[:80]}")
    assert not found, "\n".join(found)
