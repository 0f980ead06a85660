"""Every route handler of the referendum feature, for `app.server`."""

from litestar.types import ControllerRouterHandler

from referendums.commission import ROUTES as COMMISSION_ROUTES
from referendums.pages import ROUTES as PAGE_ROUTES
from referendums.voting import ROUTES as VOTING_ROUTES

ROUTES: list[ControllerRouterHandler] = [*PAGE_ROUTES, *VOTING_ROUTES, *COMMISSION_ROUTES]
