"""Every list a page at a time, cut in SQL: reading the page a link asks for, and cutting it out
of a query, by page number (OFFSET, for lists people jump around in) or by key (for the audit
trail, where page 2,000 must cost what page 1 does).

Bad input is never an error: a page "number" that is not a positive whole number gives the first
page, one past the end the last page; a key past either end gives the newest or oldest page."""

from dataclasses import dataclass
from math import ceil

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from .database import db
from .urls import is_id

PAGE_SIZE = 50


def requested_number(args, name: str = "page") -> int:
    """The page number a link asks for; 1 for anything that is not a positive whole number."""
    return max(_whole_number(args.get(name)) or 1, 1)


def requested_key(args, name: str) -> int | None:
    """A key (row id) a keyset link carries, or None if missing, not a whole number or out of
    the database's range for ids."""
    key = _whole_number(args.get(name))
    return key if key is not None and is_id(key) else None


def _whole_number(text: str | None) -> int | None:
    """The text as a whole number, or None (too many digits counts as not a number)."""
    try:
        return int((text or "").strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class Page:
    """One numbered page of a list: its rows, which page it is and how many rows in all."""

    items: list
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the list has (an empty list still has one, empty, page)."""
        return max(ceil(self.total / self.size), 1)

    @property
    def first_shown(self) -> int:
        """The position in the whole list of the first row on this page (0 if none)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_shown(self) -> int:
        """The position in the whole list of the last row on this page."""
        return (self.number - 1) * self.size + len(self.items)

    @property
    def previous_args(self) -> dict | None:
        """The query arguments of the previous page's link, if there is one."""
        return {"page": self.number - 1} if self.number > 1 else None

    @property
    def next_args(self) -> dict | None:
        """The query arguments of the next page's link, if there is one."""
        return {"page": self.number + 1} if self.number < self.pages else None

    @property
    def numbers(self) -> list[int | None]:
        """The page numbers to link to: the first, the last and those beside this one, with
        None where a run of pages is left out (no numbers at all for a single page)."""
        if self.pages == 1:
            return []
        wanted = sorted({1, self.pages} | {number for number in range(
            self.number - 1, self.number + 2) if 1 <= number <= self.pages})
        shown: list[int | None] = []
        for number in wanted:
            if shown and number - shown[-1] == 2:
                shown.append(number - 1)  # one page left out is shown rather than elided
            elif shown and number - shown[-1] > 2:
                shown.append(None)
            shown.append(number)
        return shown


def paginate(query: Select, number: int, size: int = PAGE_SIZE) -> Page:
    """The numbered page of a query's rows (one entity or column, in the query's order): two
    statements, a count and the page itself, plus whatever the query's loader options add."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number = min(max(number, 1), max(ceil(total / size), 1))
    items = list(db.session.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(items=items, number=number, size=size, total=total)


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list newest first by key, linked to the pages beside it by the first and
    last key shown, so no page is found by counting rows."""

    items: list
    newer_than: int | None  # the key the "newer" link carries, if there are newer rows
    older_than: int | None  # the key the "older" link carries, if there are older rows
    numbers = ()  # keyset pages have no numbers to jump to

    @property
    def previous_args(self) -> dict | None:
        """The query arguments of the link to newer rows, if there are any."""
        return {"newer_than": self.newer_than} if self.newer_than is not None else None

    @property
    def next_args(self) -> dict | None:
        """The query arguments of the link to older rows, if there are any."""
        return {"older_than": self.older_than} if self.older_than is not None else None


def keyset(query: Select, key: InstrumentedAttribute, size: int, older_than: int | None = None,
           newer_than: int | None = None) -> KeysetPage:
    """The page of a query's rows (one entity, no order) newest first by ``key``: the newest,
    or those just older than one key, or just newer than another. Three statements on the
    key's index whatever the page (four when a key is past either end), never an OFFSET."""
    if newer_than is not None:
        rows = list(db.session.scalars(query.where(key > newer_than).order_by(key.asc())
                                       .limit(size)))[::-1]
        if len(rows) < size:  # near the top: the newest full page instead of a short one
            rows = _newest(query, key, size)
    elif older_than is not None:
        rows = list(db.session.scalars(query.where(key < older_than).order_by(key.desc())
                                       .limit(size)))
        if not rows:  # past the end: the oldest page
            rows = list(db.session.scalars(query.order_by(key.asc()).limit(size)))[::-1]
    else:
        rows = _newest(query, key, size)
    if not rows:
        return KeysetPage(items=[], newer_than=None, older_than=None)
    first, last = getattr(rows[0], key.key), getattr(rows[-1], key.key)
    return KeysetPage(items=rows, newer_than=first if _any(query, key, key > first) else None,
                      older_than=last if _any(query, key, key < last) else None)


def _newest(query: Select, key: InstrumentedAttribute, size: int) -> list:
    """The newest ``size`` rows."""
    return list(db.session.scalars(query.order_by(key.desc()).limit(size)))


def _any(query: Select, key: InstrumentedAttribute, condition) -> bool:
    """Whether any row of the query meets the condition (one row looked up by index)."""
    probe = query.with_only_columns(key).where(condition).limit(1)
    return db.session.scalar(probe) is not None
