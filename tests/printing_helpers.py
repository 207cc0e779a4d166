"""Helpers for tests of printed documents: read a PDF back as a person would, and a loopback
HTTP server that counts every request made to it (a printed document must never make one)."""

import base64
import contextlib
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pypdf import PdfReader


def pdf_reader(pdf: bytes) -> PdfReader:
    """The PDF, parsed."""
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def pdf_text(pdf: bytes) -> str:
    """All the text a person would read, page after page."""
    return "\n".join(page.extract_text() for page in pdf_reader(pdf).pages)


def pdf_lines(pdf: bytes) -> list[str]:
    """The text as lines with runs of spaces made single."""
    return [" ".join(line.split()) for line in pdf_text(pdf).splitlines() if line.strip()]


def embedded_fonts(pdf: bytes) -> list[tuple[str, bool]]:
    """Each font used on the pages, and whether its file is embedded in the PDF."""
    found = []
    for page in pdf_reader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font \
                else font
            descriptor = described["/FontDescriptor"].get_object()
            found.append((str(font["/BaseFont"]), any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))))
    return found


class CountingServer(ThreadingHTTPServer):
    """A loopback HTTP server that counts the requests it gets and answers each with a PNG."""

    requests: list[str]


class _CountingHandler(BaseHTTPRequestHandler):
    """Counts the request, answers with a one-pixel PNG whatever was asked for."""

    PIXEL = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAA"
        "AABJRU5ErkJggg==")

    def do_GET(self):
        """Count and answer."""
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(self.PIXEL)

    def log_message(self, *args):
        """Keep the test output quiet."""


@contextlib.contextmanager
def counting_server():
    """Serve on 127.0.0.1 in a thread; yields the server (its port, its requests)."""
    server = CountingServer(("127.0.0.1", 0), _CountingHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
