"""Batches in parts: a batch is rendered a chunk of documents at a time (by the workers on the
task queue, in parallel), and the parts are joined in order into one PDF."""

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

CHUNK = 5  # documents per part: progress moves in steps of this, and fonts embed once per part


def join(parts: list[bytes], title: str) -> bytes:
    """The PDFs one after another in one file, titled and in English."""
    writer = PdfWriter()
    for part in parts:
        for page in PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
    writer.add_metadata({"/Title": title})
    writer.root_object[NameObject("/Lang")] = TextStringObject("en")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
