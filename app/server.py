"""Application factory: the only module that imports every controller."""

from __future__ import annotations

import asyncio
import gc
import sys
from functools import partial
from pathlib import Path
from typing import Final

import anyio
from litestar import Litestar, get
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app.accounts.controllers import AccountController, provide_account_service
from app.accounts.middleware import SessionAuthenticationMiddleware
from app.accounts.passwords import make_hasher
from app.accounts.second_factor_pages import SecondFactorController
from app.core.celery import celery_app, configure_celery
from app.core.db import Database
from app.core.errors import EXCEPTION_HANDLERS
from app.core.info_pages import InfoPagesController
from app.core.inputs import InputGuardMiddleware
from app.core.runtime import set_runtime
from app.core.settings import Settings, get_settings
from app.core.templating import jinja_environment
from app.core.web import make_security_headers_middleware, provide_db_session, provide_settings
from app.discussions.controllers import DiscussionController
from app.organisations.access_pages import AccessController
from app.organisations.controllers import (
    AdminController,
    EmailConfirmationController,
    HomeController,
    MemberController,
    OwnDataController,
    UnitController,
)
from app.registry import load_models
from motions.dashboard import InitiativeDashboardController
from motions.pages import ROUTES as INITIATIVE_ROUTES
from referendums.routes import ROUTES as REFERENDUM_ROUTES
from surveys.api import ROUTES as SURVEY_API_ROUTES
from surveys.pages import ROUTES as SURVEY_PAGE_ROUTES
from surveys.paper_pages import ROUTES as SURVEY_PAPER_ROUTES

STATIC_DIR = Path(__file__).resolve().parent / "static"
SURVEY_ROUTES = [*SURVEY_API_ROUTES, *SURVEY_PAGE_ROUTES, *SURVEY_PAPER_ROUTES]


@get("/healthz", sync_to_thread=False, exclude_from_csrf=True)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def csrf_config(settings: Settings) -> CSRFConfig:
    secure = settings.security.cookie_secure
    return CSRFConfig(
        secret=settings.security.secret_key,
        cookie_name="__Host-csrftoken" if secure else "csrftoken",
        cookie_secure=secure,
        cookie_httponly=True,  # the token reaches forms and htmx through the page, not JS
        cookie_samesite="strict",
        cookie_path="/",
        header_name="x-csrftoken",
    )


def limit_handler_threads(threads: int) -> None:
    """The thread pool the sync handlers and the session loader run in (anyio's
    default limiter, 40 threads, is for I/O waits, not for CPU work behind one lock)."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads


GC_WARM_UP_SECONDS: Final = 60.0


async def settle_garbage_collection() -> None:
    """Keep the cycle collector's full passes short in a serving process.

    A web process holds some 230,000 long-lived objects (modules, mappers, compiled
    templates, statement caches), and Python's full collection walks all of them. It
    was measured at 100-250 ms every ~25 s under signing load (`bench.initiative_signing`),
    with the interpreter lock held: every request of the process waited, and that was
    the p99 of signing. `gc.freeze` moves what exists to a permanent generation the
    collector no longer walks. Once at startup, and once more after the first minute,
    when the templates and statement caches built on first use exist. A frozen object
    is never collected as part of a cycle: objects of requests in flight at that moment
    may stay (once, a few); everything made later is collected as before.
    """
    gc.collect()
    gc.freeze()
    asyncio.get_running_loop().call_later(GC_WARM_UP_SECONDS, _freeze_warm)


def _freeze_warm() -> None:
    gc.collect()
    gc.freeze()


def shorten_switch_interval(milliseconds: int) -> None:
    """How long a thread may hold the interpreter lock while another waits for it.

    A handler thread coming back from a database round trip, and the event loop with a
    response to send, wait for the lock until the running thread gives it up, by default
    after 5 ms. A signature makes about ten round trips, so under load that wait, not
    the work, was most of a request's time. At 1 ms the full-size signing run
    (`bench.initiative_signing --rate 200`) went from p50 62 ms to 18 ms, with the same
    throughput (one run each, docs/benchmarks.md)."""
    sys.setswitchinterval(milliseconds / 1000)


def create_app(settings: Settings | None = None, database: Database | None = None) -> Litestar:
    load_models()  # all tables mapped before the first request, whatever imported what
    settings = settings or get_settings()
    database = database or Database(settings.database.url, echo=settings.database.echo)
    set_runtime(settings, database)
    configure_celery(celery_app, settings)
    app = Litestar(
        route_handlers=[
            healthz,
            HomeController,
            InfoPagesController,
            AccountController,
            AccessController,
            SecondFactorController,
            UnitController,
            MemberController,
            OwnDataController,
            EmailConfirmationController,
            AdminController,
            DiscussionController,
            *REFERENDUM_ROUTES,
            *SURVEY_ROUTES,
            *INITIATIVE_ROUTES,
            InitiativeDashboardController,
            create_static_files_router(path="/static", directories=[STATIC_DIR]),
        ],
        dependencies={
            "db_session": Provide(provide_db_session),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "accounts": Provide(provide_account_service, sync_to_thread=False),
        },
        middleware=[
            # First: no later layer (session, CSRF, handlers) sees refused input.
            InputGuardMiddleware,
            DefineMiddleware(
                SessionAuthenticationMiddleware,
                exclude=["^/static/", "^/healthz$"],
                # Litestar skips OPTIONS by default; guards then found no user in the
                # scope and answered 500. Authenticated like any other method instead.
                exclude_http_methods=[],
            ),
        ],
        csrf_config=csrf_config(settings),
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(jinja_environment())
        ),
        plugins=[HTMXPlugin()],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=OpenAPIConfig(title="Stimmwerk", version="0.1.0")
        if settings.security.openapi_enabled
        else None,
        debug=settings.debug,
        on_startup=[
            partial(limit_handler_threads, settings.web_threads),
            *([settle_garbage_collection] if settings.gc_freeze else []),
            *(
                [partial(shorten_switch_interval, settings.switch_interval_ms)]
                if settings.switch_interval_ms > 0
                else []
            ),
        ],
        on_shutdown=[database.dispose],
    )
    app.state.settings = settings
    app.state.database = database
    app.state.hasher = make_hasher(settings.security)
    # Wrap the whole ASGI handler, not one route's stack: a path that matches no route
    # (404, 405) never reaches route middleware, and its error page needs the headers too.
    app.asgi_handler = make_security_headers_middleware(settings)(app.asgi_handler)
    return app
