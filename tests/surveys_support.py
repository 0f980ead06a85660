"""A survey definition with every question type, shared by the survey tests."""

from __future__ import annotations

import copy
from typing import Any

_EXAMPLE: dict[str, Any] = {
    "title": "Mitgliederbefragung Digitales",
    "intro": "Wie soll die Partei digital arbeiten?",
    "sections": [
        {
            "id": "allgemein",
            "title": "Allgemein",
            "questions": [
                {
                    "id": "q1",
                    "type": "single_choice",
                    "text": "Wie oft sollen wir befragen?",
                    "options": [
                        {"id": "monat", "label": "Monatlich"},
                        {"id": "quartal", "label": "Vierteljährlich"},
                        {"id": "jahr", "label": "Jährlich"},
                    ],
                },
                {"id": "q2", "type": "yes_no_abstain", "text": "Online-Parteitage?"},
                {
                    "id": "q3",
                    "type": "multiple_choice",
                    "text": "Welche Themen?",
                    "min": 1,
                    "max": 2,
                    "shuffle": True,
                    "options": [
                        {"id": "klima", "label": "Klima"},
                        {"id": "bildung", "label": "Bildung"},
                        {"id": "rente", "label": "Rente"},
                    ],
                },
                {
                    "id": "q4",
                    "type": "long_text",
                    "text": "Warum?",
                    "required": False,
                    "max_length": 200,
                    "condition": {"question": "q2", "in": ["yes"]},
                },
            ],
        },
        {
            "id": "details",
            "title": "Details",
            "questions": [
                {
                    "id": "q5",
                    "type": "scale",
                    "text": "Zufriedenheit",
                    "min": 1,
                    "max": 5,
                    "low_label": "gar nicht",
                    "high_label": "sehr",
                },
                {
                    "id": "q6",
                    "type": "matrix",
                    "text": "Bewerten Sie",
                    "min": 0,
                    "max": 10,
                    "statements": [
                        {"id": "web", "label": "Website"},
                        {"id": "app", "label": "App"},
                    ],
                    "required": False,
                },
                {
                    "id": "q7",
                    "type": "ranking",
                    "text": "Reihenfolge",
                    "max": 2,
                    "options": [
                        {"id": "a", "label": "A"},
                        {"id": "b", "label": "B"},
                        {"id": "c", "label": "C"},
                    ],
                    "required": False,
                },
                {
                    "id": "q8",
                    "type": "number",
                    "text": "Alter",
                    "min": 14,
                    "max": 120,
                    "required": False,
                },
                {
                    "id": "q9",
                    "type": "short_text",
                    "text": "Ort",
                    "max_length": 40,
                    "required": False,
                },
            ],
        },
    ],
}

GOOD_ANSWERS: dict[str, Any] = {
    "q1": "monat",
    "q2": "yes",
    "q3": ["bildung", "klima"],
    "q4": "Weil es schneller geht.",
    "q5": 4,
    "q6": {"web": 7, "app": 3},
    "q7": ["c", "a"],
    "q8": 44,
    "q9": "Köln",
}


def example_definition() -> dict[str, Any]:
    return copy.deepcopy(_EXAMPLE)


def good_answers() -> dict[str, Any]:
    return copy.deepcopy(GOOD_ANSWERS)


def paper_line(questionnaires: int = 3) -> dict[str, Any]:
    """A paper line for the example survey that keeps every arithmetic rule (record §6)."""
    scale = {str(v): 0 for v in range(1, 6)}
    scale.update({"3": 1, "4": 1, "5": questionnaires - 2})
    matrix_web = {str(v): 0 for v in range(11)}
    matrix_web["7"] = 2
    matrix_app = {str(v): 0 for v in range(11)}
    matrix_app["3"] = 1
    return {
        "questionnaires": questionnaires,
        "questions": {
            "q1": {
                "answered": questionnaires,
                "counts": {"monat": questionnaires - 1, "quartal": 1, "jahr": 0},
            },
            "q2": {
                "answered": questionnaires,
                "counts": {"yes": 1, "no": 1, "abstain": questionnaires - 2},
            },
            "q3": {
                "answered": questionnaires,
                "counts": {"klima": questionnaires, "bildung": 1, "rente": 0},
            },
            "q4": {"answered": 1},
            "q5": {"answered": questionnaires, "counts": scale},
            "q6": {"answered": 2, "counts": {"web": matrix_web, "app": matrix_app}},
            "q7": {"answered": 1},
            "q8": {"answered": 0},
            "q9": {"answered": 2},
        },
    }


def roll_for(
    survey_id: str, eligible: dict[str, int], issued: dict[str, int]
) -> tuple[dict[str, Any], str]:
    """A frozen list (``roll.json``, record §9) with ``eligible[group]`` salted entries per
    class (``members`` without classes), the first ``issued[group]`` of them issued; and
    its commitment. Built with the same functions as the server."""
    from ballots.rolls import roll_commitment
    from surveys.answer_format import ROLL_FORMAT, roll_entry

    entries = {
        group: sorted(
            roll_entry(survey_id, f"{group}-{n:04d}".encode().hex(), f"M{n}", group)
            for n in range(count)
        )
        for group, count in eligible.items()
    }
    document = {
        "format": ROLL_FORMAT,
        "entries": entries,
        "issued": {g: sorted(entries[g][: issued.get(g, 0)]) for g in entries},
    }
    everything = sorted(e for values in entries.values() for e in values)
    return document, roll_commitment(everything)


def answer_as(
    db: Any, settings: Any, survey: Any, account: Any, answers: dict[str, Any], *, now: Any
) -> dict[str, Any]:
    """A person takes part as the browser does: the credential of their audience (and
    breakdown class) with the login, then the signed answer without it. The receipt."""
    import json

    from surveys import client, services
    from surveys.definition import read_definition

    allowed = services.eligibility(db, survey, account, now=now)
    assert allowed.audience is not None, allowed.refusal
    issuer = services.issuer_public(survey, allowed.audience)
    request = client.request_credential(issuer, str(survey.id), allowed.audience)
    _, blind = services.issue_credential(
        db, settings, survey.id, account, request.blinded_msg, now=now
    )
    credential = client.finish_credential(issuer, request, blind)
    manifest = read_definition(json.loads(survey.definition))
    line = client.answer_line(manifest, str(survey.fingerprint), credential, answers)
    return services.submit_answer(db, settings, survey.id, line, now=now)
