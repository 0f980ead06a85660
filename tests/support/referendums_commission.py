"""A referendum with its election commission, for the commission and reminder features.

The election comes from ``tests.ballots_support`` (tree, staff, three commission
accounts, members); the commission members log in through their own browsers
(``tests.bdd.conftest.Browsers``) and drive the commission page and the trustees' JSON
API. `TrusteeBrowser` holds what the trustee's browser would hold (sealing key,
polynomial, key share), computed with the Python crypto that ``trustee.js`` mirrors.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from nacl.public import PrivateKey, PublicKey

from ballots.codec import (
    ciphertext_from_json,
    commitments_from_json,
    commitments_json,
    partial_json,
)
from ballots.keyfile import signing_seed
from ballots.record import POSTAL_LINE_LABEL, postal_line_payload
from crypto.elgamal import SecretKey
from crypto.group import Scalar
from crypto.signing import Ed25519SecretKey, sign
from crypto.threshold import (
    EncryptedShare,
    ThresholdParameters,
    combine_shares,
    deal,
    open_share,
    partial_decrypt,
    seal_share,
)
from referendums.commission.pages import postal_line_from
from tests import ballots_support as support
from tests.bdd.conftest import Browsers, Person, log_in_fully
from tests.helpers import csrf_token

COMMISSION = {"Karla": 0, "Kai": 1, "Kim": 2}
NO_SEAT = {"Kurt": 3}
"""Commission members without a trustee seat (the world needs ``commission=4``)."""


@dataclass
class TrusteeBrowser:
    """The secrets one trustee's browser keeps (never sent to the server)."""

    sealing: PrivateKey | None = None
    share: Scalar | None = None


@dataclass
class Commission:
    world: support.ElectionWorld
    browsers: Browsers
    people: dict[str, Person] = field(default_factory=dict)
    secrets: dict[str, TrusteeBrowser] = field(default_factory=dict)
    logged_in: set[str] = field(default_factory=set)
    pages: dict[str, Response] = field(default_factory=dict)
    answer: Response | None = None

    @property
    def page_url(self) -> str:
        return f"/referendums/{self.world.id}/commission"

    @property
    def api_url(self) -> str:
        return f"/api/elections/{self.world.id}"

    def person(self, name: str) -> Person:
        if name not in self.people:
            account = self.world.commission[(COMMISSION | NO_SEAT)[name]]
            self.people[name] = Person(name=name, email=account.email, account_id=account.id)
        return self.people[name]

    def browser(self, name: str) -> TestClient[Litestar]:
        browser = self.browsers.of(name)
        if name not in self.logged_in:
            log_in_fully(browser, self.person(name))
            self.logged_in.add(name)
        return browser

    def get(self, name: str, path: str) -> Response:
        return self.browser(name).get(self.api_url + path, headers={"accept": "application/json"})

    def post(self, name: str, path: str, body: Any) -> Response:
        browser = self.browser(name)
        token = csrf_token(browser, self.page_url)
        return browser.post(
            self.api_url + path,
            json=body,
            headers={"x-csrftoken": token, "accept": "application/json"},
        )

    def send_form(self, name: str, path: str, form: dict[str, str]) -> None:
        """``name`` sends a form of the commission page (``path`` below it, the page's
        CSRF token added); the page they land on is kept in ``pages``."""
        browser = self.browser(name)
        token = csrf_token(browser, self.page_url)
        self.pages[name] = browser.post(
            self.page_url + path, data={**form, "_csrf_token": token}, follow_redirects=True
        )

    # -- what trustee.js does, step by step ------------------------------------------------

    def register(self, name: str) -> Response:
        key = PrivateKey.generate()
        self.secrets[name] = TrusteeBrowser(sealing=key)
        body = {
            "public_key": bytes(key.public_key).hex(),
            "signing_key": self.signing_key(name).public_key.hex(),
        }
        return self.post(name, "/ceremony/sealing-key", body)

    def signing_key(self, name: str) -> Ed25519SecretKey:
        """Record §2.1: derived from the sealing key, as trustee.js does."""
        sealing = self.secrets[name].sealing
        assert sealing is not None
        return Ed25519SecretKey(signing_seed(bytes(sealing)))

    def postal_signature(self, name: str, step: str, form: dict[str, str]) -> str:
        """What trustee.js adds to the postal form: the signature of the figures (§7.3)."""
        election = self.world.election()
        line = postal_line_from(election.manifest, form)
        questions = tuple(zip(line.counts, line.invalid, strict=True))
        payload = postal_line_payload(election.fingerprint or "", step, line.envelopes, questions)
        return sign(self.signing_key(name), POSTAL_LINE_LABEL, payload).hex()

    def ceremony(self, name: str) -> dict[str, Any]:
        response = self.get(name, "/ceremony")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    @staticmethod
    def params(doc: dict[str, Any]) -> ThresholdParameters:
        return ThresholdParameters(doc["threshold"], doc["trustees"], bytes.fromhex(doc["context"]))

    def dealing_body(self, name: str) -> dict[str, Any]:
        doc = self.ceremony(name)
        params = self.params(doc)
        dealing, commitments = deal(params, doc["me"])
        sealed = {
            index: seal_share(
                params, dealing, int(index), PublicKey(bytes.fromhex(key))
            ).sealed.hex()
            for index, key in doc["sealing_keys"].items()
        }
        return {"commitments": commitments_json(commitments), "sealed": sealed}

    def deal(self, name: str) -> Response:
        return self.post(name, "/ceremony/dealing", self.dealing_body(name))

    def save_backup(self, name: str) -> Response:
        """What trustee.js does once the share is final: save the file, report its checksum."""
        share = self.secrets[name].share
        file = b"backup of " + (share.encoded if share else b"")
        return self.post(name, "/ceremony/backup", {"digest": hashlib.sha256(file).hexdigest()})

    def check(self, name: str, *, backup: bool = True) -> Response:
        doc = self.ceremony(name)
        params = self.params(doc)
        response = self.get(name, "/ceremony/shares")
        assert response.status_code == 200, response.text
        good: list[Scalar] = []
        key = self.secrets[name].sealing
        assert key is not None
        for item in response.json()["shares"]:
            commitments = commitments_from_json(item["commitments"], params.threshold)
            box = EncryptedShare(item["dealer"], item["recipient"], bytes.fromhex(item["sealed"]))
            opened = open_share(params, box, key, commitments)
            assert isinstance(opened, Scalar), f"{name} got a bad share from {item['dealer']}"
            good.append(opened)
        self.secrets[name].share = combine_shares(good)
        if backup:
            saved = self.save_backup(name)
            assert saved.status_code == 200, saved.text
        return self.post(name, "/ceremony/share-check", {"complaints": []})

    def decrypt(self, name: str) -> Response:
        task = self.get(name, "/decryption")
        assert task.status_code == 200, task.text
        data = task.json()
        params = ThresholdParameters(
            data["threshold"], data["trustees"], bytes.fromhex(data["context"])
        )
        share = self.secrets[name].share
        assert share is not None
        secret = SecretKey(share)
        partials = [
            [
                partial_json(
                    partial_decrypt(
                        params,
                        data["trustee"],
                        secret,
                        ciphertext_from_json(c, allow_identity=True),
                    )
                )
                for c in row
            ]
            for row in data["aggregate"]
        ]
        return self.post(name, "/decryption", {"partials": partials})

    def full_ceremony(self) -> None:
        for step in (self.register, self.deal, self.check):
            for name in COMMISSION:
                response = step(name)
                assert response.status_code == 200, (name, response.text)

    def election_id(self) -> uuid.UUID:
        return self.world.id
