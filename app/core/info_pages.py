"""Pages every installation must have and a help page: Impressum, Datenschutzhinweis,
Erklärung zur Barrierefreiheit (filled in from `LegalSettings`), and "Hilfe".

Open to everyone, logged in or not (the registration form links the privacy notice).
"""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import Template

from app.core.settings import Settings


class InfoPagesController(Controller):
    path = "/"

    @get("/impressum", sync_to_thread=False)
    def imprint(self, settings: NamedDependency[Settings]) -> Template:
        return Template("info/imprint.html", context={"legal": settings.legal})

    @get("/datenschutz", sync_to_thread=False)
    def privacy(self, settings: NamedDependency[Settings]) -> Template:
        return Template("info/privacy.html", context={"legal": settings.legal})

    @get("/barrierefreiheit", sync_to_thread=False)
    def accessibility(self, settings: NamedDependency[Settings]) -> Template:
        return Template("info/accessibility.html", context={"legal": settings.legal})

    @get("/hilfe", sync_to_thread=False)
    def help(self) -> Template:
        return Template("info/help.html")
