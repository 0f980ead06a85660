"""PDF documents from Jinja templates (WeasyPrint), for minutes, results and letters.

A PDF is an HTML template of the shared environment (`app.core.templating`) rendered
in a locale and laid out by WeasyPrint. WeasyPrint would fetch every URL the HTML
names (images, style sheets); the documents here are built from stored data, part of
it typed by users (titles, names), so the fetcher refuses everything but ``data:``
URLs: a title cannot make the server request an address. Styles go inline in the
template (``<style>``). Documents are written as PDF/UA-1 (tagged), so give each
template ``<html lang>`` and a ``<title>``.

WeasyPrint needs Pango at run time (Debian: ``libpango-1.0-0``, ``libpangoft2-1.0-0``).
"""

from __future__ import annotations

from typing import Any

from app.core.templating import render_text


def html_to_pdf(html: str) -> bytes:
    """Lay out ``html`` (a whole document) as PDF bytes, fetching nothing from outside."""
    # Imported here: loading Pango costs time that only a PDF request should pay.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    # PDF/UA-1: a tagged PDF (structure tree, language, title) that screen readers can read.
    document = HTML(string=html, url_fetcher=fetcher, base_url="about:blank")
    pdf: bytes = document.write_pdf(pdf_variant="pdf/ua-1")
    return pdf


def render_pdf(template_name: str, locale: str, **context: Any) -> bytes:
    """Render the Jinja template ``template_name`` in ``locale`` and return the PDF bytes."""
    return html_to_pdf(render_text(template_name, locale, **context))
