"""Route handlers of `referendums.pages` (registered by `referendums.routes`)."""

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
