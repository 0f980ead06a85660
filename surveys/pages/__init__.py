"""Route handlers of `surveys.pages` (registered in `app.server` with the survey API)."""

from litestar.types import ControllerRouterHandler

from surveys.pages.controllers import SurveyPagesController, SurveyResultsController

ROUTES: list[ControllerRouterHandler] = [SurveyPagesController, SurveyResultsController]
