"""Printing: a template of our own, a context of plain values, WeasyPrint, PDF bytes.

Why the context holds only plain values: a template handed a model could lazy-load anything
related to it (a volunteer's other visits, a man's record) without anyone noticing in review.
Plain values mean a template prints exactly what its service chose to give it.

Why the URL fetcher is strict: WeasyPrint fetches whatever the HTML or CSS points at
(``<img>``, ``<link>``, ``url()``, ``<link rel=attachment>``) with the server's rights. One
slip that let a URL into a template could read files off the server (``file:///…``), reach
services on its network (``http://127.0.0.1:…``) or attach either to the PDF. So the fetcher
serves only files under the app's own ``static/`` folder, read from disk by us, and refuses
every other URL before it is opened: other schemes, hosts, ``data:`` URLs (nothing we print
needs them) and paths that climb out of the folder.

Why one font configuration per thread, kept: a WeasyPrint render without one makes its own, and
the fontconfig configuration it hands to Pango's font map is never freed with it (Pango 1.50,
fontconfig 2.14): about 215 kB of native memory per document, outside Python's garbage
collector. Reused, it costs that once and keeps its font lookups warm (our CSS has no
``@font-face``; one would stay loaded for the thread's later documents). It is per thread
because a Pango font map must not be used by two threads at once (the server renders on several).
"""

import functools
import logging
import mimetypes
import threading
from datetime import date, datetime, time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from jinja2 import Environment, StrictUndefined
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..site.models import is_demo

# The base URL of every printed document. ".invalid" can never resolve (RFC 2606), and nothing
# here opens a connection anyway: it only lets "/static/…" and CSS-relative URLs resolve.
ORIGIN = "https://print.inreach.invalid"
STATIC_PREFIX = "/static/"
PLAIN_TYPES = (str, int, float, bool, type(None), date, datetime, time)
log = logging.getLogger(__name__)
_thread = threading.local()


class ResourceRefused(ValueError):
    """The fetcher would not load this URL."""


class StaticOnlyFetcher(URLFetcher):
    """Serves files under the static folder for ``ORIGIN/static/…`` URLs; refuses all else."""

    def __init__(self, static_folder: str):
        super().__init__(allowed_protocols=())
        self.root = Path(static_folder).resolve()

    def fetch(self, url, headers=None):
        """The static file this URL names, or ResourceRefused before anything is opened."""
        path = self.static_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def static_path(self, url: str) -> Path:
        """The file under the static folder that the URL names; refuses anything else."""
        try:
            parts = urlsplit(url)
        except ValueError as error:
            raise self._refuse(url) from error
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin != ORIGIN or not parts.path.startswith(STATIC_PREFIX):
            raise self._refuse(url)
        path = (self.root / unquote(parts.path.removeprefix(STATIC_PREFIX))).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise self._refuse(url)
        return path

    @staticmethod
    def _refuse(url: str) -> ResourceRefused:
        """Log the refusal (scheme only: the rest could be anything) and build the error."""
        scheme = url.split(":", 1)[0][:20] if ":" in url else "relative"
        log.warning("printing refused a %s URL; only /static/ files are served", scheme)
        return ResourceRefused("only the app's own static files may be loaded")


def check_plain(value, where: str = "context") -> None:
    """Refuse (TypeError) anything but plain values, lists, tuples and str-keyed dicts of them."""
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"{where} has a key that is not a str: {type(key).__name__}")
            check_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_plain(item, f"{where}[{index}]")
    elif type(value) not in PLAIN_TYPES:  # exact types: a Markup str would skip autoescaping
        raise TypeError(f"{where} is a {type(value).__name__}; printing takes plain values only")


def _environment() -> Environment:
    """Our templates, autoescaped, without Flask's globals (g, request…); undefined is an error."""
    app = current_app
    if "printing_jinja" not in app.extensions:
        app.extensions["printing_jinja"] = Environment(
            loader=app.jinja_env.loader, autoescape=True, undefined=StrictUndefined)
    return app.extensions["printing_jinja"]


def render_html(template_name: str, context: dict, *, title: str) -> str:
    """The template rendered with the plain context, the title and the demo flag."""
    check_plain(context)
    check_plain(title, "title")
    page = {**context, "title": title, "demo_data": is_demo()}
    return _environment().get_template(template_name).render(page)


def html_to_pdf(html: str, *, title: str, static_folder: str | None = None) -> bytes:
    """PDF bytes of the HTML: A4 from static/css/print.css, fonts embedded, tagged, titled.
    ``static_folder`` lets a worker process without the app render (it defaults to the app's)."""
    document = _render(html, static_folder or current_app.static_folder)
    return _write(document, title)


def htmls_to_pdf(htmls: list[str], *, title: str, static_folder: str | None = None,
                 sheets: bool = True) -> bytes:
    """One PDF of several documents, each numbering its own pages. With ``sheets`` each starts
    on a new sheet when printed double-sided: a blank page follows any with an odd page count."""
    folder = static_folder or current_app.static_folder
    documents = [_render(html, folder) for html in htmls]
    if not documents:
        raise ValueError("nothing to print")
    blank = _blank_page(folder) if sheets else []
    pages = []
    for document in documents:
        pages.extend(document.pages)
        if len(document.pages) % 2:
            pages.extend(blank)
    return _write(documents[0].copy(pages), title)


# The back of a sheet whose front ends a document, so the next one starts on a fresh sheet.
BLANK_PAGE = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
              '<link rel="stylesheet" href="/static/css/print.css"></head>'
              '<body class="blank-page"><p>This page is left blank.</p></body></html>')


@functools.cache
def _blank_page(static_folder: str) -> list:
    """The blank back of a sheet, laid out once per process."""
    return _render(BLANK_PAGE, static_folder).pages


def font_config() -> FontConfiguration:
    """This thread's font configuration, made on its first document and reused by every later
    one (see the module docstring)."""
    if not hasattr(_thread, "font_config"):
        _thread.font_config = FontConfiguration()
    return _thread.font_config


def _render(html: str, static_folder: str):
    """The laid-out WeasyPrint document of the HTML, fetching only our static files."""
    fetcher = StaticOnlyFetcher(static_folder)
    return HTML(string=html, base_url=ORIGIN + "/", url_fetcher=fetcher).render(
        font_config=font_config(), pdf_tags=True)


def _write(document, title: str) -> bytes:
    """The document as PDF bytes with its title and language in the metadata."""
    document.metadata.title = title
    document.metadata.lang = document.metadata.lang or "en"
    return document.write_pdf()


def render_pdf(template_name: str, context: dict, *, title: str) -> bytes:
    """Render one of our templates with a context of plain values to PDF bytes."""
    return html_to_pdf(render_html(template_name, context, title=title), title=title)
