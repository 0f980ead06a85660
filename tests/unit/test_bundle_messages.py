"""Every text the browser bundles show is German (issue 10, point 5).

The bundles (frontend/src/voter.js, trustee.js) never carry German text themselves:
the page hands them a message table (``vote-messages``, ``trustee-messages``) rendered
through the catalogs. This test fails when

- a bundle uses a message key the page does not send,
- a text of a table has no German translation, or
- a bundle writes an English literal into the page (``textContent = "..."``,
  ``say("...")``), shows a browser error as it is ("Failed to fetch"), or asks with
  ``prompt()``/``alert()``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.core import i18n
from app.core.settings import PROJECT_ROOT
from referendums.voting.pages import VOTE_MESSAGES

SOURCES = PROJECT_ROOT / "frontend" / "src"
COMMISSION_PAGE = PROJECT_ROOT / "templates" / "referendums" / "commission.html"

# Writing a literal text into the page; the literal must not hold a word of its own
# (``${messages.failed} ${detail}`` is fine: every word comes from the table).
_LITERAL_INTO_DOM = re.compile(
    r"""(?:textContent\s*=|innerText\s*=|\b(?:say|paragraph)\(|"""
    r"""\b(?:add|element)\(\s*["']\w+["']\s*,)"""
    r"""\s*(["'`])(?P<text>[^"'`]*)\1"""
)
_DIALOGS = re.compile(r"\b(?:window\.)?(?:prompt|alert)\(")


def _has_words(literal: str) -> bool:
    """True if the literal has a word outside its ``${...}`` parts."""
    return re.search(r"[A-Za-z]{3}", re.sub(r"\$\{[^}]*\}", "", literal)) is not None


def _used_keys(source: str) -> set[str]:
    """Keys read as ``messages.key`` or ``messages["key"]`` (templated keys are skipped)."""
    dotted = set(re.findall(r"\bmessages\.(\w+)", source))
    indexed = set(re.findall(r"\bmessages\[\s*[\"'](\w+)[\"']\s*\]", source))
    return dotted | indexed


def _german(text: str) -> str:
    with i18n.using_locale("de"):
        return i18n.gettext(text)


def _trustee_table() -> dict[str, str]:
    """The ``trustee-messages`` table of the commission page: key -> English msgid."""
    page = COMMISSION_PAGE.read_text(encoding="utf-8")
    block = page.split('id="trustee-messages"', 1)[1].split("| tojson", 1)[0]
    return dict(re.findall(r'"(\w+)":\s*_\("((?:[^"\\]|\\.)*)"\)', block))


def test_voter_keys_are_all_sent_by_the_vote_page() -> None:
    used = _used_keys((SOURCES / "voter.js").read_text(encoding="utf-8"))
    assert used, "voter.js reads no messages: the test no longer sees the table"
    missing = sorted(used - VOTE_MESSAGES.keys())
    assert not missing, f"voter.js shows texts the vote page does not send: {missing}"


def test_trustee_keys_are_all_sent_by_the_commission_page() -> None:
    source = (SOURCES / "trustee.js").read_text(encoding="utf-8")
    table = _trustee_table()
    # pass_weak/pass_fair/pass_strong are picked as `pass_${strength}`.
    used = _used_keys(source) | {"pass_weak", "pass_fair", "pass_strong"}
    missing = sorted(used - table.keys())
    assert not missing, f"trustee.js shows texts the commission page does not send: {missing}"


@pytest.mark.parametrize("table", ["vote", "trustee"])
def test_every_message_has_a_german_text(table: str) -> None:
    texts = dict(VOTE_MESSAGES) if table == "vote" else _trustee_table()
    untranslated = {
        key: text
        for key, text in texts.items()
        if _german(text.replace("\\n", "\n")) == text.replace("\\n", "\n")
    }
    assert not untranslated, f"no German text for: {untranslated}"


@pytest.mark.parametrize("bundle", ["voter.js", "trustee.js", "ballot_check.js"])
def test_no_english_literal_reaches_the_page(bundle: str) -> None:
    path = SOURCES / bundle
    if not path.exists():
        pytest.skip(f"{bundle} is not part of this version")
    source = path.read_text(encoding="utf-8")
    code = re.sub(r"(?m)^\s*//.*$", "", source)  # comments may be English
    literals = [match.group("text") for match in _LITERAL_INTO_DOM.finditer(code)]
    literals = [text for text in literals if _has_words(text)]
    assert not literals, f"{bundle} writes English text into the page: {literals}"
    assert not _DIALOGS.search(code), f"{bundle} uses prompt()/alert() (English buttons)"
    # A browser's own error text ("Failed to fetch", "NetworkError ...") is never shown.
    assert "String(error)" not in code, f"{bundle} shows a raw error"


def test_a_network_failure_is_said_in_german() -> None:
    source = (SOURCES / "voter.js").read_text(encoding="utf-8")
    assert "instanceof TypeError" in source
    assert "messages.network" in source
    assert _german(VOTE_MESSAGES["network"]).startswith("Der Server")


def test_the_check_above_catches_an_english_literal(tmp_path: Path) -> None:
    """The pattern itself: a bundle that writes English is caught."""
    bad = 'status.textContent = "wrong passphrase or damaged backup";\nsay("Failed to fetch");'
    found = [m.group("text") for m in _LITERAL_INTO_DOM.finditer(bad)]
    assert found == ["wrong passphrase or damaged backup", "Failed to fetch"]
    assert all(_has_words(text) for text in found)
    assert not _has_words("${messages.failed} ${detail}")
