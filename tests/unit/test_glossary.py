"""One word for one thing (docs/glossary.md): the catalogs avoid the synonyms, and every
page and mail says "du" (the party's members say "du" to each other)."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from app.core.i18n import TRANSLATIONS_DIR

# Every German catalog: members, staff and the commission read the same words.
CATALOGS = sorted(path.name for path in (TRANSLATIONS_DIR / "de" / "LC_MESSAGES").glob("*.po"))
AVOID = {
    "Wählerverzeichnis": "Stimmverzeichnis",
    "Wählerliste": "Stimmverzeichnis",
    "Briefabstimmung": "Briefwahl",
    "Wahlberechtigte": "Stimmberechtigte",
    "Wahlzettel": "Stimmzettel",
    "Datenschutzerklärung": "Datenschutzhinweis",
    "UTC": "local time written out",
    "Beleg": "Quittung",
    "Liebe\\*r": "Hallo (the greeting of every mail; a star is read aloud)",
}
FORMAL = re.compile(r"(?<![.:!?»„\"(]\s)(?<!^)\b(Sie|Ihnen|Ihr|Ihre|Ihren|Ihrer|Ihrem|Ihres)\b")
"""The formal address: "Sie" or "Ihr…" capitalised inside a sentence (a capital "Sie"
that begins a sentence, as in "Sie läuft von …", is "they/it")."""


def _texts(name: str) -> list[str]:
    with (TRANSLATIONS_DIR / "de" / "LC_MESSAGES" / name).open("rb") as handle:
        catalog = read_po(handle, locale="de")
    texts: list[str] = []
    for message in catalog:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            texts += [text for text in strings if text]
    return texts


@pytest.mark.parametrize("name", CATALOGS)
def test_catalogs_use_the_glossary_words(name: str) -> None:
    found = [
        f"{word!r} (say {instead!r}): {text[:80]}"
        for text in _texts(name)
        for word, instead in AVOID.items()
        if re.search(rf"\b{word}\b", text)
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("name", CATALOGS)
def test_catalogs_say_du(name: str) -> None:
    found = [
        f"{match.group(0)!r}: {text[:100]}"
        for text in _texts(name)
        for match in FORMAL.finditer(text)
    ]
    assert not found, "\n".join(found)


def test_the_formal_check_finds_the_formal_address() -> None:
    assert FORMAL.search("Bitte lesen Sie das Mitgliederbegehren.")
    assert FORMAL.search("Mitglieder Ihrer Gliederung")
    assert not FORMAL.search("Sie läuft von 10 bis 12 Uhr.")
    assert not FORMAL.search("Die Sicherung ist geprüft: Sie lässt sich entschlüsseln.")
