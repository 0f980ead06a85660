"""Route handlers of `referendums.commission` (registered by `referendums.routes`).

The election commission's page (key ceremony, decryption, postal votes, tally), the
trustees' JSON API, and the reminder opt-out link of the notification mails.
"""

from litestar.types import ControllerRouterHandler

from referendums.commission.api import CommissionApiController
from referendums.commission.backup_api import TrusteeBackupApiController
from referendums.commission.pages import CommissionController
from referendums.commission.tasks_view import CommissionTasksController
from referendums.notifications.views import ReminderOptOutController

ROUTES: list[ControllerRouterHandler] = [
    CommissionController,
    CommissionApiController,
    TrusteeBackupApiController,
    CommissionTasksController,
    ReminderOptOutController,
]
