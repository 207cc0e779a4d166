"""The report's charts, drawn on the server as SVG with matplotlib, the same on the page and in
the PDF.

What each chart is given: counts as ``Count`` (the bar's length and the text written beside
it), never a model. In a shared report a hidden count has no length (``value`` None): its bar is
not drawn and its text says "fewer than 5", so a chart cannot give away what the table hides.

Why these choices:
- matplotlib's object API (``Figure``), not ``pyplot``: no global list of open figures to
  leak memory or to be shared between the server's threads; a figure is freed with its last
  reference once its SVG is written.
- ``svg.fonttype = "none"``: labels stay text (selectable, read back from the PDF), not paths.
- Okabe–Ito colours, which colour-blind readers tell apart, plus a hatch on every second series
  and the count written at each bar, so a black-and-white print still reads.
- Every chart comes with a one-paragraph description; the page shows its data table beside it.
- The SVG is checked before it is used: matplotlib escapes the text it writes, and ``safe_svg``
  refuses scripts, event handlers, foreign objects and outside links all the same.
"""

import io
import textwrap
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

import matplotlib
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory, offset_copy

matplotlib.rcParams.update({
    "svg.fonttype": "none",  # text as <text>, not outlines
    "svg.hashsalt": "inreach-report",  # the same data draws the same SVG
    "font.family": ["Liberation Sans", "DejaVu Sans"],  # Liberation Sans is in print.css too
    "font.size": 9,
    "hatch.linewidth": 0.8,
})

# Okabe & Ito (2008), "Color Universal Design": blue, vermillion, bluish green.
BLUE, VERMILLION, GREEN = "#0072B2", "#D55E00", "#009E73"
TEXT_COLOUR = "#212b32"
WIDTH_INCHES = 6.4
CHARACTER_INCHES = 0.07  # a character of a 9-point label, on average
LABEL_CHARACTERS = 30  # longer labels are wrapped onto more lines
SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
REFUSED_TAGS = {"script", "foreignObject", "iframe", "object", "embed", "a", "image"}


@dataclass(frozen=True)
class Count:
    """A count as drawn: its length (None when hidden in a shared report) and its text."""

    value: int | None
    text: str


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG markup (no XML prologue) and a description for people who cannot see
    it."""

    svg: str
    description: str


class UnsafeSVG(ValueError):
    """The SVG holds something that could run or load from elsewhere."""


def funnel_chart(steps: list[tuple[str, Count]]) -> Chart:
    """Horizontal bars, one per funnel step from the top, each with its count written beside."""
    labels = [label for label, _ in steps]
    figure, axes = _figure(len(steps), labels=labels)
    positions = list(range(len(steps)))
    counts = [count for _, count in steps]
    _bars(axes, positions, counts, height=0.6, facecolor=BLUE, edgecolor=BLUE)
    _bar_texts(figure, axes, positions, counts, [count.text for count in counts])
    _category_axis(figure, axes, labels, positions, [count for _, count in steps])
    described = ", ".join(f"{label}: {count.text}" for label, count in steps)
    return Chart(_svg(figure), f"Bar chart of the funnel, one bar per step from the prison's "
                               f"list to work at 13 weeks. {described or 'No figures'}.")


def acceptance_chart(rows: list[tuple[str, Count, Count]]) -> Chart:
    """For each service (name, sent, accepted): a plain bar for the referrals sent and a hatched
    one for those accepted, each with its count written beside."""
    described = "; ".join(f"{name}: {sent.text} sent, {accepted.text} accepted"
                          for name, sent, accepted in rows)
    return _paired_chart(rows, ("Sent", "Accepted"),
                         f"Bar chart of referrals sent and accepted by each service, two bars "
                         f"per service. {described or 'No referrals'}.")


def over_time_chart(rows: list[tuple[str, Count, Count]]) -> Chart:
    """For each quarter (label, referrals accepted, job starts): paired bars as above."""
    described = "; ".join(f"{period}: {accepted.text} accepted, {starts.text} job starts"
                          for period, accepted, starts in rows)
    return _paired_chart(rows, ("Referrals accepted", "Job starts"),
                         f"Bar chart of outcomes by quarter of the visit: referrals accepted "
                         f"and job starts. {described or 'No outcomes'}.")


def _paired_chart(rows: list[tuple[str, Count, Count]], names: tuple[str, str],
                  description: str) -> Chart:
    """Two bars a row (label, first, second), labelled on the left, with the description."""
    labels = [label for label, _, _ in rows]
    figure, axes = _figure(len(rows), per_row=0.55, labels=labels)
    positions = [2 * index for index in range(len(rows))]
    _paired_bars(figure, axes, positions, [first for _, first, _ in rows],
                 [second for _, _, second in rows], names)
    _category_axis(figure, axes, labels, positions,
                   [count for _, first, second in rows for count in (first, second)])
    return Chart(_svg(figure), description)


def _figure(rows: int, per_row: float = 0.4, labels: list[str] = ()):
    """A figure a page wide and tall enough for its rows, with one set of axes, leaving room on
    the left for the longest label. The room is estimated from the label's length rather than
    measured by a layout engine, which tripled the time to draw."""
    height = 0.8 + per_row * max(rows, 1)
    figure = Figure(figsize=(WIDTH_INCHES, height))
    longest = max((len(line) for label in labels for line in _wrapped(label).splitlines()),
                  default=1)
    left = (0.2 + CHARACTER_INCHES * longest) / WIDTH_INCHES
    figure.subplots_adjust(left=left, right=0.97, top=1 - 0.25 / height,
                           bottom=0.35 / height)
    axes = figure.add_subplot()
    axes.spines[["top", "right", "bottom"]].set_visible(False)
    axes.xaxis.set_visible(False)
    axes.yaxis.set_visible(False)
    return figure, axes


def _bars(axes, places: list[float], counts: list[Count], height: float, **style) -> None:
    """Horizontal bars from 0 to each count, centred on their places: one collection of
    rectangles rather than an artist per bar, which took most of the time to draw."""
    half = height / 2
    outlines = [[(0, place - half), (0, place + half), (length, place + half),
                 (length, place - half)]
                for place, length in zip(places, map(_length, counts), strict=True)]
    axes.add_collection(PolyCollection(outlines, **style))


def _bar_texts(figure, axes, places: list[float], counts: list[Count],
               texts: list[str]) -> None:
    """Each bar's text, just beyond its end. Written on the figure, not the axes, so that
    nothing clips them (the axes would clip each one to itself, at a cost)."""
    beyond = offset_copy(axes.transData, fig=figure, x=4, y=0, units="points")
    for place, count, text in zip(places, counts, texts, strict=True):
        figure.text(_length(count), place, text, transform=beyond, va="center",
                    color=TEXT_COLOUR)


def _paired_bars(figure, axes, positions: list[int], first: list[Count], second: list[Count],
                 names: tuple[str, str]) -> None:
    """Two bars per row: solid blue for the first series, hatched vermillion for the second,
    each labelled at its end with its count and series ("63 sent"): direct labels read in
    black and white and cost far less to draw than a legend."""
    for offset, counts, colour, hatch, name in ((-0.4, first, BLUE, None, names[0]),
                                                (0.4, second, VERMILLION, "///", names[1])):
        places = [position + offset for position in positions]
        _bars(axes, places, counts, height=0.75, facecolor=colour, hatch=hatch,
              edgecolor="white" if hatch else colour)
        _bar_texts(figure, axes, places, counts,
                   [f"{count.text} {name.lower()}" for count in counts])


def _category_axis(figure, axes, labels: list[str], positions: list[int],
                   counts: list[Count]) -> None:
    """Label each row on the left, first at the top, and leave a quarter of the width beyond
    the longest bar for its text. The labels are plain texts, not an axis's ticks (whose
    making cost a third of the time); counts are written at the bars, not on a value axis."""
    before = offset_copy(blended_transform_factory(axes.transAxes, axes.transData),
                         fig=figure, x=-4, y=0, units="points")
    for position, label in zip(positions, labels, strict=True):
        figure.text(0, position, _wrapped(label), transform=before, ha="right", va="center",
                    color=TEXT_COLOUR)
    axes.set_xlim(0, 1.25 * max(map(_length, counts), default=0) or 1)
    axes.set_ylim(max(positions, default=0) + 1, min(positions, default=0) - 1)


def _wrapped(label: str) -> str:
    """A row's label on lines of at most LABEL_CHARACTERS, so a long service name keeps to the
    left of its bars instead of running off the page."""
    return textwrap.fill(label, LABEL_CHARACTERS)


def _length(count: Count) -> int:
    """The bar's length: the count, or nothing when it is hidden."""
    return count.value or 0


def _svg(figure: Figure) -> str:
    """The figure as SVG markup to place in a page: no prologue, no date, checked safe."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    markup = buffer.getvalue()
    markup = markup[markup.index("<svg"):]
    safe_svg(markup)
    return markup


def safe_svg(markup: str) -> None:
    """Refuse (UnsafeSVG) markup with anything that could run or fetch: scripts, event handler
    attributes, foreign objects, links and references outside the document."""
    for element in ElementTree.fromstring(markup).iter():  # noqa: S314  (our own, from matplotlib)
        tag = element.tag.removeprefix(SVG)
        if tag in REFUSED_TAGS:
            raise UnsafeSVG(f"an SVG chart may not hold <{tag}>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                raise UnsafeSVG(f"an SVG chart may not have an {name} attribute")
            if name in ("href", XLINK_HREF) and not value.startswith("#"):
                raise UnsafeSVG("an SVG chart may only refer to itself")
            if "url(" in value and "url(#" not in value:
                raise UnsafeSVG("an SVG chart may only refer to itself")
