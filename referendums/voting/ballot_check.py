"""The public ballot-check page: an opened ballot checked by code that did not make it.

"Stimmzettel prüfen" on the vote page opens (Benaloh cast-or-audit) an encrypted
ballot and hands the member its check data. This page, public and without login, checks
that data with ``frontend/src/ballot_check.js`` and ``frontend/src/audit/check.js``, a
separate program from the booth's encryption (it shares only the group arithmetic), so
a device whose booth code lies is caught when the member checks elsewhere. The same
check runs offline as ``stimmwerk check-audit FILE`` (``ballots.audit_check``).
"""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.orm import Session

from app.core.i18n import N_, gettext
from ballots import services
from referendums.voting.lookup import election_of

# The texts ballot_check.js shows ({hash}, {question} are filled in by the script).
CHECK_MESSAGES = {
    "empty": N_("Please paste the check data or choose the file."),
    "not_json": N_("This is not check data from the vote page (it cannot be read)."),
    "load_failed": N_("The public data of this vote could not be loaded. Please try again later."),
    "passed": N_("Check passed."),
    "passed_text": N_(
        "The encrypted ballot with the identifier {hash} contains exactly this choice:"
    ),
    "compare": N_(
        "Compare it with what you chose. If it is the same, the device encrypted your "
        "choice correctly."
    ),
    "failed": N_("Check NOT passed."),
    "failed_text": N_(
        "This check data does not match the encrypted ballot. Do not vote with that "
        "device, and tell the election commission."
    ),
    "nothing_chosen": N_("no option chosen (abstention)"),
    "problem_not_an_audit": N_("The data is not check data of an opened ballot."),
    "problem_election_data": N_("The public data of this vote is incomplete."),
    "problem_other_election": N_("The check data belongs to another vote."),
    "problem_other_manifest": N_(
        "The ballot was made for other questions than those of this vote."
    ),
    "problem_hash_mismatch": N_(
        "The identifier in the check data is not that of the ballot in it."
    ),
    "problem_shape": N_("Question {question}: the ballot does not have the form of this vote."),
    "problem_opening": N_(
        "Question {question}: the encryption of an option does not match the revealed numbers."
    ),
    "problem_count": N_("Question {question}: more or fewer options than allowed are chosen."),
    "problem_choices_differ": N_(
        "Question {question}: the choice listed in the check data differs from the encrypted one."
    ),
    "problem_malformed": N_("The check data is damaged."),
}


class BallotCheckController(Controller):
    path = "/referendums/{election_id:str}/ballot-check"

    @get("/", sync_to_thread=True)
    def ballot_check(
        self, db_session: NamedDependency[Session], election_id: FromPath[str]
    ) -> Template:
        election = election_of(db_session, election_id)
        return Template(
            "referendums/ballot_check.html",
            context={
                "election": election,
                "manifest": services.manifest_of(election).raw,
                "client_data_url": f"/api/elections/{election.id}/client-data",
                "messages": {key: gettext(text) for key, text in CHECK_MESSAGES.items()},
            },
        )
