"""CSV downloads that open safely in a spreadsheet."""

import csv
import io

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """The cell as text a spreadsheet shows rather than runs as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_text(rows: list[list[str]]) -> str:
    """The rows as CSV text, every text cell made safe."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[safe_cell(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def csv_download(text: str) -> bytes:
    """CSV text as UTF-8 with a byte-order mark, so spreadsheets read accented names right."""
    return text.encode("utf-8-sig")
