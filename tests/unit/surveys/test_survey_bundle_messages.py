"""Every text survey.js shows is German (as tests/unit/test_bundle_messages.py for the
voting bundles): the answer page hands the bundle its message table
(``survey-messages``, ``surveys.pages.controllers.SURVEY_MESSAGES``) rendered through
the catalogs, and the bundle writes no English literal into the page."""

from __future__ import annotations

import re

from app.core import i18n
from app.core.settings import PROJECT_ROOT
from surveys.pages.controllers import SURVEY_MESSAGES
from tests.unit.test_bundle_messages import _DIALOGS, _LITERAL_INTO_DOM, _has_words, _used_keys

SOURCE = PROJECT_ROOT / "frontend" / "src" / "survey.js"


def _german(text: str) -> str:
    with i18n.using_locale("de"):
        return i18n.gettext(text)


def _fallback_keys(source: str) -> set[str]:
    block = source.split("const FALLBACK = {", 1)[1].split("};", 1)[0]
    return set(re.findall(r"^\s*(\w+):", block, flags=re.MULTILINE))


def test_every_key_survey_js_reads_is_sent_by_the_answer_page() -> None:
    source = SOURCE.read_text(encoding="utf-8")
    used = _used_keys(source)
    assert used, "survey.js reads no messages: the test no longer sees the table"
    missing = sorted(used - SURVEY_MESSAGES.keys())
    assert not missing, f"survey.js shows texts the answer page does not send: {missing}"
    # The refusals are picked as messages[code]: every code of the format has its text.
    codes = set(re.findall(r'AnswerRefused\([^,]+,\s*"(\w+)"', source))
    format_source = (SOURCE.parent / "survey" / "format.js").read_text(encoding="utf-8")
    codes |= set(re.findall(r'AnswerRefused\([^,]+,\s*"(\w+)"', format_source))
    shown = {"required", "too_many", "too_few", "out_of_range", "not_number", "too_long"}
    assert shown <= codes, "the test no longer sees the refusal codes"
    assert shown | {"statements", "rank_gap", "repeated_option"} <= SURVEY_MESSAGES.keys()
    assert _fallback_keys(source) == set(SURVEY_MESSAGES), "FALLBACK and the table differ"


def test_every_survey_message_has_a_german_text() -> None:
    untranslated = {k: t for k, t in SURVEY_MESSAGES.items() if _german(t) == t}
    assert not untranslated, f"no German text for: {untranslated}"
    assert _german(SURVEY_MESSAGES["network"]).startswith("Der Server")


def test_survey_js_writes_no_english_literal_into_the_page() -> None:
    code = re.sub(r"(?m)^\s*//.*$", "", SOURCE.read_text(encoding="utf-8"))
    literals = [m.group("text") for m in _LITERAL_INTO_DOM.finditer(code)]
    # survey.js's own helper that makes a paragraph of a text (the receipt to keep).
    literals += re.findall(r"\bparagraphOf\(\s*[\"'`]([^\"'`]*)[\"'`]", code)
    assert "paragraphOf(messages." in code, "the test no longer sees paragraphOf"
    assert not [t for t in literals if _has_words(t)], literals
    assert not _DIALOGS.search(code), "survey.js uses prompt()/alert() (English buttons)"
    assert "String(error)" not in code, "survey.js shows a raw error"
    assert "instanceof TypeError" in code
    assert "messages.network" in code


def test_every_text_of_the_survey_pages_python_has_a_german_text() -> None:
    """babel.cfg does not (yet) extract surveys/**.py, so the page modules are read here."""
    from babel.messages.extract import extract_from_file

    sources = [PROJECT_ROOT / "surveys" / "drafting.py"]
    sources += sorted((PROJECT_ROOT / "surveys" / "pages").glob("*.py"))
    ids = {
        message
        for path in sources
        for _, message, _, _ in extract_from_file("python", str(path), keywords={"N_": None})
        if isinstance(message, str)
    }
    assert len(ids) > 40, "the test no longer finds the texts"
    untranslated = sorted(text for text in ids if _german(text) == text)
    assert not untranslated, f"no German text for: {untranslated}"
