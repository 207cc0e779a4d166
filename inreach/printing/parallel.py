"""Rendering many documents on every core: WeasyPrint holds the interpreter while it lays out
pages, so a batch runs in worker processes and the web process stays free for requests.

Workers are spawned (not forked: the web process has threads and database connections), kept
for the next batch, and given HTML only: they never touch the database or the app. Each renders
a chunk of documents to one PDF; the chunks are joined in order into the batch."""

import io
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

from .services import BLANK_PAGE, html_to_pdf, htmls_to_pdf

CHUNK = 5  # documents per task: progress moves in steps of this, and fonts embed once per chunk
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _warm(static_folder: str) -> None:
    """Load WeasyPrint and the fonts in a new worker, so its first real chunk is not slower."""
    html_to_pdf(BLANK_PAGE, title="warm-up", static_folder=static_folder)


def pool(workers: int | None, static_folder: str) -> ProcessPoolExecutor:
    """The shared pool of worker processes (made on first use)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_warm, initargs=(static_folder,))
        return _pool


def discard_pool() -> None:
    """Let go of a pool that broke (a worker died), so the next batch starts a fresh one."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def render_batch(htmls: list[str], *, title: str, static_folder: str, workers: int | None,
                 progress: Callable[[int], None] = lambda done: None) -> bytes:
    """One PDF of every document, in order, each starting on a new sheet; ``progress`` hears
    how many documents are done after each chunk."""
    chunks = [htmls[start:start + CHUNK] for start in range(0, len(htmls), CHUNK)]
    executor = pool(workers, static_folder)
    futures = {executor.submit(htmls_to_pdf, chunk, title=title,
                               static_folder=static_folder): index
               for index, chunk in enumerate(chunks)}
    parts: list[bytes] = [b""] * len(chunks)
    done = 0
    for future in as_completed(futures):
        index = futures[future]
        parts[index] = future.result()
        done += len(chunks[index])
        progress(done)
    return join(parts, title)


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

