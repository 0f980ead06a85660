"""The trustee's side of the key ceremony and the tally, with a passphrase key file.

Each function does on the trustee's behalf what their own machine would do (deal,
seal, open and check shares, decrypt) and calls the server's service only with what
the server may see: public keys, commitments, sealed shares, complaints with evidence,
proven partial decryptions. The secrets stay in the key file (`ballots.keyfile`).
For now the CLI runs these next to the database; the functions take the session only
to call the services.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from nacl.public import PrivateKey, PublicKey
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.i18n import N_
from ballots import keyfile, services
from ballots.errors import CeremonyFailed
from ballots.keyfile import KdfLimits, TrusteeSecrets
from ballots.models import Trustee
from crypto.elgamal import SecretKey
from crypto.group import Scalar
from crypto.threshold import (
    Dealing,
    ShareComplaint,
    combine_shares,
    deal,
    open_share,
    partial_decrypt,
    seal_share,
)


def _load(path: Path, passphrase: str, election_id: uuid.UUID) -> TrusteeSecrets:
    secrets = keyfile.read_key_file(path, passphrase)
    if secrets.election_id != str(election_id):
        raise keyfile.KeyFileError("this key file belongs to another election")
    return secrets


def init_trustee(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    *,
    path: Path,
    passphrase: str,
    limits: KdfLimits = keyfile.MODERATE_LIMITS,
) -> Trustee:
    """Make the trustee's sealing key, save it in a new key file, publish its public half."""
    if path.exists():
        raise keyfile.KeyFileError(f"{path} exists; a key file is never overwritten")
    election = services.get_election(session, election_id)
    seat = next((t for t in election.trustees if t.account_id == actor.id), None)
    if seat is None:
        raise CeremonyFailed(reason=N_("this account is not a trustee of the election"))
    secrets = keyfile.new_secrets(str(election_id), seat.index)
    keyfile.write_key_file(path, secrets, passphrase, limits)
    public = bytes(PrivateKey(secrets.sealing_key).public_key)
    return services.register_sealing_key(session, election_id, actor, public)


def deal_shares(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    *,
    path: Path,
    passphrase: str,
    limits: KdfLimits = keyfile.MODERATE_LIMITS,
) -> None:
    """Draw this trustee's polynomial, seal one share to every trustee, submit."""
    secrets = _load(path, passphrase, election_id)
    state = services.ceremony_state(session, election_id)
    if not state.all_registered:
        raise CeremonyFailed(reason=N_("not every trustee has registered a sealing key yet"))
    dealing, commitments = deal(state.params, secrets.trustee)
    sealed = {
        j: seal_share(state.params, dealing, j, PublicKey(key)).sealed
        for j, key in sorted(state.sealing_keys.items())
    }
    # Save the polynomial first: a dealer may have to reveal a disputed share.
    keyfile.write_key_file(path, secrets.with_dealing(dealing.coefficients), passphrase, limits)
    services.submit_dealing(session, election_id, actor, commitments, sealed)


def check_shares(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    *,
    path: Path,
    passphrase: str,
    limits: KdfLimits = keyfile.MODERATE_LIMITS,
) -> services.ShareCheckOutcome:
    """Open and check every share received; keep ``x_j``, or complain with evidence."""
    secrets = _load(path, passphrase, election_id)
    state = services.ceremony_state(session, election_id)
    received = services.shares_for(session, election_id, actor)
    private = PrivateKey(secrets.sealing_key)
    good: list[Scalar] = []
    complaints: list[ShareComplaint] = []
    for item in received:
        opened = open_share(state.params, item.encrypted, private, item.commitments)
        if isinstance(opened, ShareComplaint):
            complaints.append(opened)
        else:
            good.append(opened)
    if not complaints:
        share = combine_shares(good)
        keyfile.write_key_file(path, secrets.with_share(share), passphrase, limits)
    return services.submit_share_check(session, election_id, actor, complaints)


def decrypt_tally(
    session: Session, election_id: uuid.UUID, actor: Account, *, path: Path, passphrase: str
) -> None:
    """Partially decrypt the closed election's aggregate with proofs and submit it."""
    secrets = _load(path, passphrase, election_id)
    if secrets.share is None:
        raise keyfile.KeyFileError("this key file holds no key share (the ceremony did not end)")
    task = services.decryption_task(session, election_id, actor)
    if task.trustee != secrets.trustee:
        raise keyfile.KeyFileError("this key file belongs to another trustee")
    share = SecretKey(secrets.share)
    partials = [
        [partial_decrypt(task.params, task.trustee, share, ciphertext) for ciphertext in row]
        for row in task.aggregate
    ]
    services.submit_partial_decryption(session, election_id, actor, partials)


def dealing_from(secrets: TrusteeSecrets) -> Dealing:
    """This trustee's own dealing (to reveal a disputed share to the commission)."""
    return Dealing(secrets.trustee, secrets.coefficients)
