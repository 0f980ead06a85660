"""The backup helpers of trustee.js agree with the Python crypto (run in node).

What the page relies on before it reports a backup or a test restore: the trustee's
verification key recomputed from the public commitments equals ``X_j`` of
`crypto.threshold.verification_key`, a backup holding the right share matches it and
one holding another seat's share does not; the passphrase hint refuses short ones;
files are named by vote, seat and what they hold.
"""

from __future__ import annotations

from typing import Any

from ballots.codec import commitments_json
from crypto.group import Scalar
from crypto.threshold import ThresholdParameters, deal, verification_key
from tests.js import test_trustee_agrees as agrees
from tests.js.test_trustee_agrees import Harness

js = agrees.js
"""The node harness fixture of test_trustee_agrees (one node process per module)."""

CONTEXT = bytes(range(32))


def _shares(js: Harness, dealings: list[Any], me: int) -> str:
    total: Scalar | None = None
    for dealing in dealings:
        coefficients = [c.encode().hex() for c in dealing.coefficients]
        part = Scalar.decode(
            bytes.fromhex(js.call("share_for", coefficients=coefficients, recipient=me))
        )
        total = part if total is None else total + part
    assert total is not None
    return total.encode().hex()


def test_the_share_in_a_backup_is_checked_against_the_public_commitments(js: Harness) -> None:
    params = ThresholdParameters(2, 3, CONTEXT)
    dealt = [deal(params, i) for i in (1, 2, 3)]
    dealings, commitments = [d for d, _ in dealt], [c for _, c in dealt]
    public = [commitments_json(c) for c in commitments]
    for me in (1, 2, 3):
        expected = verification_key(commitments, me).encode().hex()
        assert js.call("verification_key", dealings=public, me=me) == expected
    mine = {"share": _shares(js, dealings, 2)}
    assert js.call("share_matches", secrets=mine, dealings=public, me=2) is True
    assert js.call("share_matches", secrets=mine, dealings=public, me=3) is False
    assert js.call("share_matches", secrets={"share": None}, dealings=public, me=2) is False


def test_passphrase_hint_and_file_names(js: Harness) -> None:
    strength = {
        "elf Zeichen": "short",
        "abcdefghijkl": "weak",
        "abcdefghijklmnop": "fair",
        "eine lange Passphrase für die Sicherung": "strong",
    }
    for passphrase, expected in strength.items():
        assert js.call("passphrase_strength", passphrase=passphrase) == expected, passphrase
    names = {
        "siegelschluessel": {"coefficients": [], "share": None},
        "verteilung": {"coefficients": ["00" * 32], "share": None},
        "anteil": {"coefficients": ["00" * 32], "share": "00" * 32},
    }
    for kind, secrets in names.items():
        name = js.call("backup_name", short_id="1a2b3c4d", trustee=2, secrets=secrets)
        assert name == f"stimmwerk-1a2b3c4d-trustee-2-{kind}.json"
