"""Choices for printing: the pack variant, names on covers, and whether entries that need
checking go in (asked only when there are some, so the organiser always sees the warning)."""

from wtforms import BooleanField

from ..fields import ChoiceField, FlaskForm, options
from .content import PackOptions

VARIANTS = {
    "standard": "Standard",
    "easy_read": "Easy read (14pt and up, short sentences, pathway pictures)",
    "large_print": "Large print (18pt and up)",
    "easy_read_large_print": "Easy read in large print",
}
UNCHECKED = {"leave_out": "Leave them out of the pack",
             "include": "Include them: I have checked they are still right"}


class PackChoices(FlaskForm):
    """How to print packs. Read from the query string for a preview and a download."""

    class Meta:
        csrf = False  # a GET that only reads and shows; the download is audited

    variant = ChoiceField("Version", choices=options(VARIANTS.items()))
    with_name = BooleanField("Print his first name on the cover")
    unchecked = ChoiceField("Entries that need checking", choices=options(UNCHECKED.items()))

    def pack_options(self) -> PackOptions:
        """The choices as the pack's options."""
        variant = self.variant.data or "standard"
        return PackOptions(easy_read=variant.startswith("easy_read"),
                           large_print=variant.endswith("large_print"),
                           with_name=bool(self.with_name.data),
                           include_unchecked=self.unchecked.data == "include")


def variant_of(chosen: PackOptions) -> str:
    """The variant choice for these options (his preferences pick the default)."""
    if chosen.easy_read and chosen.large_print:
        return "easy_read_large_print"
    return "easy_read" if chosen.easy_read else "large_print" if chosen.large_print \
        else "standard"


class BatchChoices(FlaskForm):
    """Start a session batch of packs (each in his own preferred version) or forms."""

    kind = ChoiceField("What to print", choices=options([("packs", "packs"),
                                                         ("forms", "forms")]))
    with_name = BooleanField("Print each man's first name on his pack's cover", default=True)
    unchecked = ChoiceField("Entries that need checking, in every pack",
                            choices=options(UNCHECKED.items()), required=False)


class BlankPackChoices(PackChoices):
    """A blank pack: the area whose services it lists, and how to print it."""

    area = ChoiceField("Release area", required=False)
