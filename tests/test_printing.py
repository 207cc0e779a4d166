"""The printing service: plain contexts only, a fetcher that serves only our static files, and
PDFs a person can read (title, language, embedded fonts, A4, extractable text)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from pathlib import Path

import pytest
from jinja2 import FileSystemLoader, UndefinedError
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from inreach.printing import services
from inreach.printing.services import ORIGIN, ResourceRefused, StaticOnlyFetcher
from inreach.prisons.models import Prison

from .printing_helpers import counting_server, embedded_fonts, pdf_lines, pdf_reader, pdf_text

STATIC_MARKER = "STATIC-MARKER"
SECRET_MARKER = "SECRET-MARKER"
DATA_MARKER = "DATA-MARKER"
A4_POINTS = (595, 842)


def svg(text: str) -> str:
    """A small SVG image that shows some text."""
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="30">'
            f'<text x="0" y="20" font-size="14" font-family="Liberation Sans">{text}</text></svg>')


# Every way we know of for markup to make WeasyPrint load something. {port} is the counting
# server's; {secret} a folder beside (not inside) the static folder.
HOSTILE_HEAD = """
  <link rel="stylesheet" href="http://127.0.0.1:{port}/linked.css">
  <link rel="stylesheet" href="file://{secret}/secret.css">
  <link rel="attachment" href="http://127.0.0.1:{port}/attachment.txt">
  <link rel="attachment" href="file://{secret}/secret.txt">
  <style>
    @import url("http://127.0.0.1:{port}/imported.css");
    @font-face {{ font-family: Leaky; src: url("http://127.0.0.1:{port}/font.woff2"); }}
    h1 {{ font-family: Leaky, sans-serif; }}
    body {{ background-image: url("http://127.0.0.1:{port}/background.png"); }}
    p {{ background-image: url("file://{secret}/secret.svg"); }}
  </style>
"""
HOSTILE_BODY = """
  <h1>Hostile markup</h1>
  <p>Paragraph</p>
  <img src="http://127.0.0.1:{port}/image.png" alt="">
  <img src="file://{secret}/secret.svg" alt="">
  <img src="file:///etc/passwd" alt="">
  <img src="/static/../secret/secret.svg" alt="">
  <img src="/static/%2e%2e/secret/secret.svg" alt="">
  <img src="data:image/svg+xml,{data_svg}" alt="">
  <object data="http://127.0.0.1:{port}/object.svg" type="image/svg+xml"></object>
  <embed src="http://127.0.0.1:{port}/embed.svg" type="image/svg+xml">
  <svg width="20" height="20"><image href="http://127.0.0.1:{port}/in-svg.png"
    width="20" height="20"/></svg>
  <img src="/static/marker.svg" alt="">
"""
RAW_TEMPLATE = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                '<title>Hostile</title>' + HOSTILE_HEAD + '</head><body>' + HOSTILE_BODY
                + '</body></html>')
ESCAPED_TEMPLATE = ('{% extends "printing/base.html" %}{% block content %}'
                    '<h1>Escaped</h1><p>{{ payload }}</p>{% endblock %}')


def hostile(text: str, port: int, secret: Path) -> str:
    """The hostile markup with the server's port and the secret folder filled in."""
    return text.format(port=port, secret=secret, data_svg=svg(DATA_MARKER).replace('"', "'"))


@pytest.fixture
def server():
    """A loopback HTTP server counting every request it gets."""
    with counting_server() as running:
        yield running


@pytest.fixture
def folders(tmp_path):
    """A static folder with an SVG and a secret folder beside it that must never be read."""
    static, secret = tmp_path / "static", tmp_path / "secret"
    static.mkdir()
    secret.mkdir()
    (static / "marker.svg").write_text(svg(STATIC_MARKER))
    (secret / "secret.svg").write_text(svg(SECRET_MARKER))
    (secret / "secret.css").write_text(f'h1::after {{ content: "{SECRET_MARKER}"; }}')
    (secret / "secret.txt").write_text(SECRET_MARKER)
    (static / "escape.svg").symlink_to(secret / "secret.svg")
    return {"static": static, "secret": secret}


@pytest.fixture
def test_templates(app, tmp_path, server, folders):
    """Test-only templates put before the app's own, for this app only."""
    folder = tmp_path / "templates" / "printing_test"
    folder.mkdir(parents=True)
    (folder / "raw.html").write_text(
        hostile(RAW_TEMPLATE, server.server_port, folders["secret"]))
    (folder / "escaped.html").write_text(ESCAPED_TEMPLATE)
    (folder / "leaky.html").write_text(
        '<html><body><img src="{{ image }}"><img src="{{ secret_image }}"></body></html>')
    (folder / "globals.html").write_text("{{ g.user }}{{ config.SECRET_KEY }}")
    app.jinja_env.loader.loaders.insert(0, FileSystemLoader(str(tmp_path / "templates")))
    return folder


@pytest.fixture
def fetches(monkeypatch):
    """Every URL the printing fetcher was asked for, served or refused."""
    seen = {"served": [], "refused": []}
    original = StaticOnlyFetcher.fetch

    def spy(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except ResourceRefused:
            seen["refused"].append(url)
            raise
        seen["served"].append(url)
        return response

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", spy)
    return seen


def test_a_pdf_has_its_title_language_a4_pages_embedded_fonts_and_readable_text(app_context):
    pdf = services.render_pdf("printing/base.html", {}, title="A printed page")
    reader = pdf_reader(pdf)
    assert reader.metadata.title == "A printed page"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == A4_POINTS
    fonts = embedded_fonts(pdf)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    # The title at the top and in the footer, and the page count print.css puts there.
    assert pdf_lines(pdf) == ["A printed page", "A printed page Page 1 of 1"]


def test_a_demo_database_says_so_on_paper(app_context):
    from inreach.database import begin_write, db
    from inreach.site.models import DEMO, SiteSetting

    begin_write()
    db.session.add(SiteSetting(key=DEMO, value="yes"))
    db.session.commit()
    text = pdf_text(services.render_pdf("printing/base.html", {}, title="Demo"))
    assert "fictional data" in text


PLAIN = {"text": "a", "number": 1, "decimal": 1.5, "flag": True, "nothing": None,
         "day": date(2025, 1, 2), "moment": datetime(2025, 1, 2, 3, 4), "clock": time(9, 30),
         "rows": [{"cells": ("a", 1, None)}], "nested": {"deeper": [[date(2025, 1, 2)]]}}


def test_plain_values_are_accepted():
    services.check_plain(PLAIN)


@pytest.mark.parametrize("context", [
    {"thing": object()},
    {"markup": Markup("<img src=x>")},  # Markup would skip autoescaping
    {"rows": [{"cells": ["a", {1, 2}]}]},
    {"nested": {"deeper": (b"bytes",)}},
    {"nested": {1: "a key that is not text"}},
], ids=["object", "markup", "set-in-list", "bytes-in-tuple", "int-key"])
def test_anything_but_plain_values_is_refused(context):
    with pytest.raises(TypeError):
        services.check_plain(context)


def test_a_model_in_the_context_is_refused_before_anything_renders(app_context):
    prison = Prison(code="WSI", name="HMP Wormwood Scrubs")
    with pytest.raises(TypeError, match=r"context\['visits'\]\[0\]\['prison'\] is a Prison"):
        services.render_pdf("printing/base.html", {"visits": [{"prison": prison}]}, title="x")


def test_templates_cannot_reach_flask_globals(app_context, test_templates):
    with pytest.raises(UndefinedError):
        services.render_html("printing_test/globals.html", {}, title="x")


def test_hostile_markup_in_a_template_fetches_nothing_but_static_files(
        app, server, folders, test_templates, fetches):
    app.static_folder = str(folders["static"])
    with app.app_context():
        pdf = services.render_pdf("printing_test/raw.html", {}, title="Hostile")
    assert server.requests == []
    text = pdf_text(pdf)
    assert STATIC_MARKER in text  # the static file loads…
    assert SECRET_MARKER not in text and DATA_MARKER not in text  # …and nothing else does
    assert pdf_reader(pdf).attachments == {}
    assert fetches["served"] == [f"{ORIGIN}/static/marker.svg"]
    # WeasyPrint did try each one (so each was tested), and was refused.
    refused = " ".join(fetches["refused"])
    for tried in ["/linked.css", "/secret/secret.css", "/imported.css", "/font.woff2",
                  "/background.png", "/image.png", "/object.svg", "/embed.svg", "/in-svg.png",
                  "/attachment.txt", "/secret/secret.txt", "file:///etc/passwd",
                  f"{ORIGIN}/secret/secret.svg", "%2e%2e/secret/secret.svg", "data:image/svg+xml"]:
        assert tried in refused, tried


def test_the_same_markup_does_leak_without_our_fetcher(app, server, folders, test_templates):
    """The control: WeasyPrint's own fetcher loads these, so the test above can fail."""
    with app.app_context():
        html = services.render_html("printing_test/leaky.html", {
            "image": f"http://127.0.0.1:{server.server_port}/image.png",
            "secret_image": f"file://{folders['secret']}/secret.svg"}, title="Leaky")
    text = pdf_text(HTML(string=html).write_pdf())
    assert server.requests == ["/image.png"]
    assert SECRET_MARKER in text


def test_hostile_markup_in_a_context_value_is_printed_as_text(
        app_context, server, folders, test_templates, fetches):
    payload = hostile(HOSTILE_HEAD + HOSTILE_BODY, server.server_port, folders["secret"])
    pdf = services.render_pdf("printing_test/escaped.html", {"payload": payload}, title="Text")
    assert server.requests == []
    assert fetches == {"served": [f"{ORIGIN}/static/css/print.css"], "refused": []}
    # All of it is there to read, as text (lines wrap, so compare without the spaces).
    assert "".join(payload.split()) in "".join(pdf_text(pdf).split())
    assert pdf_reader(pdf).attachments == {}


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://127.0.0.1:9/static/marker.svg",
    "https://example.org/static/marker.svg",
    "ftp://127.0.0.1/static/marker.svg",
    f"data:image/svg+xml,{svg(DATA_MARKER)}",
    "/static/marker.svg",
    f"{ORIGIN}/marker.svg",
    f"{ORIGIN}/static/",
    f"{ORIGIN}/static/missing.svg",
    f"{ORIGIN}/static/../secret/secret.svg",
    f"{ORIGIN}/static/%2e%2e/secret/secret.svg",
    f"{ORIGIN}/static/%2E%2E%2Fsecret%2Fsecret.svg",
    f"{ORIGIN}/static/escape.svg",  # a symbolic link out of the folder
    f"{ORIGIN}:443/static/marker.svg",
    f"{ORIGIN}@127.0.0.1/static/marker.svg",
    "https://127.0.0.1/static/marker.svg",
])
def test_the_fetcher_refuses_everything_outside_the_static_folder(folders, url):
    with pytest.raises(ResourceRefused):
        StaticOnlyFetcher(str(folders["static"])).fetch(url)


@pytest.mark.parametrize("url", [f"{ORIGIN}/static/marker.svg",
                                 f"{ORIGIN}/static/marker.svg?version=2#top",
                                 f"{ORIGIN}/static/./marker.svg"])
def test_the_fetcher_serves_static_files(folders, url):
    response = StaticOnlyFetcher(str(folders["static"])).fetch(url)
    assert response.content_type == "image/svg+xml"
    assert STATIC_MARKER.encode() in response.read()
    response.close()


def test_each_thread_makes_one_font_configuration_and_reuses_it(app, monkeypatch):
    """WeasyPrint's own per-document font configuration leaks native memory (see the service's
    docstring), so a thread reuses one; another thread gets its own, never shared."""
    made = []
    original = FontConfiguration.__init__

    def counted(self):
        made.append(self)
        original(self)

    monkeypatch.setattr(FontConfiguration, "__init__", counted)

    def print_documents(count: int) -> list[bytes]:
        return [services.html_to_pdf(services.BLANK_PAGE, title="Blank",
                                     static_folder=app.static_folder) for _ in range(count)]

    for thread, documents in enumerate((3, 2), start=1):
        with ThreadPoolExecutor(1) as new_thread:
            pdfs = new_thread.submit(print_documents, documents).result()
        assert len(made) == thread
        assert all("This page is left blank." in pdf_text(pdf) for pdf in pdfs)
