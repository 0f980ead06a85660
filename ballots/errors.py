"""Domain errors of the ballot core, with English message ids (translated where shown).

Services raise these; `app.core.errors` maps them to HTTP responses and the CLI prints
their message. Messages never carry personal data or secrets.
"""

from __future__ import annotations

from typing import Any

from app.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from app.core.i18n import N_


class ElectionNotFound(NotFound):
    message = N_("There is no such election.")


class ManifestInvalid(ValidationFailed):
    """The election definition is incomplete or contradicts itself (``errors`` per field)."""

    message = N_("The election definition is not valid.")


class NotAllowed(Forbidden):
    message = N_("You are not allowed to do this in this election.")


class WrongState(Conflict):
    message = N_("This step is not possible while the election is {status}.")

    def __init__(self, status: str, message: str | None = None, **params: Any) -> None:
        super().__init__(message, status=status, **params)


class TooEarly(Conflict):
    message = N_("This step is not possible before {when}.")


class CeremonyFailed(Conflict):
    message = N_("The key ceremony failed: {reason}")


class ComplaintNotProven(DomainError):
    message = N_(
        "The complaint's evidence does not prove a bad share. Ask the dealer to reveal "
        "the share to the commission."
    )


class NotOnRoll(Forbidden):
    message = N_("You are not on the voter roll of this election.")


class PostalVoter(Conflict):
    message = N_(
        "You are registered for postal voting in this election and get no online credential."
    )


class CredentialAlreadyIssued(Conflict):
    message = N_("You have already received your credential for this election.")


class VotingClosed(Conflict):
    message = N_("This election is not open for voting.")


class BallotRejected(DomainError):
    """The ballot failed a check; ``check`` names which (format, credential, proofs, ...)."""

    message = N_("The ballot was refused: {reason}")

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(None, reason=reason, check=check)
        self.check = check


class AlreadyVoted(Conflict):
    message = N_(
        "A ballot has already been cast with this credential. Only the first ballot counts."
    )


class PostalResultInvalid(ValidationFailed):
    message = N_("The postal vote figures are not consistent.")


class PostalMismatch(Conflict):
    message = N_(
        "The confirmed figures differ from the entered ones. Count again and enter them anew."
    )


class SameCommissionMember(Conflict):
    message = N_("The postal result must be confirmed by a different commission member.")


class PostalNeedsTrustee(Forbidden):
    message = N_(
        "Only a commission member who holds a trustee seat in this vote can enter or confirm "
        "the postal votes: each of the two signs the figures with their own trustee key."
    )


class PostalSignatureInvalid(DomainError):
    message = N_(
        "The figures are not signed with your trustee key. Submit them from the browser "
        "that holds your trustee key (load your backup there first if needed) or, on the "
        "command line, with your key file (--key-file)."
    )


class DecryptionRejected(DomainError):
    message = N_("The partial decryption was refused: {reason}")


class NotEnoughDecryptions(Conflict):
    message = N_("The tally needs partial decryptions from at least {threshold} trustees.")


class CredentialRequestInvalid(DomainError):
    message = N_("The credential request is malformed.")
