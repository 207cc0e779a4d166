"""Resource packs and self-referral forms read back from real PDFs, as a man (or a volunteer
typing in paper forms) would read them: his referrals with next steps, his area's services and
national ones only, no closed entries, the urgent numbers, the variants' type sizes, the form
reference and its QR code, and every PDF of his details audited."""

import math
import re

import pytest
import segno
from sqlalchemy import select

from inreach.audit.models import AuditEvent
from inreach.cohorts.models import CohortMember
from inreach.database import db
from inreach.packs import content, documents, referral_form
from inreach.packs.content import PackOptions
from inreach.referrals.services import set_for

from .pack_builders import printing_day  # noqa: F401 (a fixture)
from .printing_helpers import embedded_fonts, pdf_lines, pdf_reader, pdf_text


@pytest.fixture
def day(app_context, printing_day):  # noqa: F811
    """The printing day's ids, inside an app context."""
    return printing_day


def man(day, name: str) -> CohortMember:
    """One of the day's men."""
    return documents.member(day["visit"], day["session"], day[name])


def pack_text(day, name: str = "john", **options) -> str:
    """His pack's PDF as text, one line per line."""
    pdf = documents.pack_pdf(man(day, name), PackOptions(**options), day["users"]["organiser"])
    return "\n".join(pdf_lines(pdf))


def font_sizes(pdf: bytes) -> list[float]:
    """The size in points of every run of text on every page, as printed."""
    sizes = []

    def visit(text, matrix, text_matrix, font, size):
        if text.strip():
            sizes.append(round(size * math.hypot(*text_matrix[:2]) * math.hypot(*matrix[:2]), 1))

    for page in pdf_reader(pdf).pages:
        page.extract_text(visitor_text=visit)
    return sizes


def test_his_pack_says_what_he_asked_for_and_what_happens_next(day):
    text = pack_text(day)
    assert "Your plan for release" in text and "For John" in text
    asked = text[text.index("What you asked for"):text.index("Services in Camden")]
    passed_on = asked[asked.index("We passed your details to"):asked.index("Contact these")]
    assert "Camden work coach" in passed_on
    assert "Camden work coach will write to you within two weeks of release" in passed_on
    assert "020 7946 0001" in passed_on
    yourself = asked[asked.index("Contact these yourself"):]
    assert "Camden housing desk" in yourself and "020 7946 0002" in yourself
    assert "Camden housing desk will write" not in yourself  # nothing was sent to it


def test_his_pack_lists_his_areas_services_and_national_ones_only_active_and_checked(day):
    text = pack_text(day)
    directory = text[text.index("Services in Camden and across the country"):
                     text.index("Urgent help\n")]
    for listed in ("Camden work coach", "Camden housing desk", "National ID helpline"):
        assert listed in directory
    for left_out in ("Hackney food bank", "Closed project", "Paused project", "Old entry"):
        assert left_out not in text
    assert "Also helps with: Finance and ID" in directory  # the housing desk, printed once
    assert directory.count("Camden housing desk\nFictional Trust") == 1


def test_the_urgent_help_page_carries_the_urgent_numbers(day):
    text = pack_text(day)
    urgent = text[text.rindex("Urgent help\n"):text.index("My notes and appointments")]
    assert "call 999" in urgent
    assert "Samaritans" in urgent and "116 123" in urgent
    assert "NHS 111" in urgent and "111" in urgent


def test_a_pack_has_its_parts_page_numbers_and_footer_in_range(day):
    pdf = documents.pack_pdf(man(day, "john"), PackOptions(), day["users"]["organiser"])
    pages = pdf_reader(pdf).pages
    assert 4 <= len(pages) <= 8
    last = pages[-1].extract_text()
    assert "My notes and appointments" in last
    assert f"Page {len(pages)} of {len(pages)}" in last
    assert "Pack printed" in last
    assert pdf_reader(pdf).metadata.title == "Your plan for release"
    assert pdf_reader(pdf).trailer["/Root"]["/Lang"] == "en"
    assert all(embedded for _, embedded in embedded_fonts(pdf))


def test_entries_that_need_checking_go_in_only_when_the_organiser_chose_so(day):
    directory = content.directory("Camden", include_unchecked=False)
    assert directory["unchecked"] == ["Old entry"]
    assert "Old entry" not in pack_text(day)
    assert "Old entry" in pack_text(day, include_unchecked=True)


def test_a_pack_without_names_does_not_carry_his_name(day):
    text = pack_text(day, with_name=False)
    assert "John" not in text and "A1234BC" not in text
    assert "Camden work coach will write to you" in text  # still his plan


def test_a_man_not_seen_yet_and_one_who_declined_are_told_they_can_still_call(day):
    assert "We have not recorded any requests for help from you yet" in pack_text(day, "karl")
    assert "You did not ask us to refer you to a service" in pack_text(day, "lee")


def test_his_preferences_from_the_day_pick_the_variant(day):
    lee, john = man(day, "lee"), man(day, "john")
    assert content.default_options(lee, set_for(lee.id)) == PackOptions(easy_read=True)
    assert content.default_options(john, set_for(john.id)) == PackOptions()


def test_easy_read_is_14pt_and_up_large_print_18pt_and_up_standard_smaller(day):
    actor = day["users"]["organiser"]
    sizes = {variant: font_sizes(documents.pack_pdf(man(day, "john"), options, actor))
             for variant, options in (("standard", PackOptions()),
                                      ("easy", PackOptions(easy_read=True)),
                                      ("large", PackOptions(large_print=True)),
                                      ("both", PackOptions(easy_read=True, large_print=True)))}
    assert min(sizes["standard"]) < 14  # the footer, at least: the check can fail
    assert min(sizes["easy"]) >= 14
    assert min(sizes["large"]) >= 18 and min(sizes["both"]) >= 18


def test_easy_read_has_a_picture_for_each_pathway_and_one_idea_per_line(day):
    html = documents.pack_html(man(day, "john"), PackOptions(easy_read=True))
    assert 'src="/static/img/pathways/education_work.svg"' in html
    assert 'src="/static/img/pathways/urgent.svg"' in html
    assert "<p>Cost: Free</p>" in html
    standard = documents.pack_html(man(day, "john"), PackOptions())
    assert "/static/img/pathways/" not in standard


def test_a_blank_pack_has_no_name_and_no_plan(day):
    pdf = documents.blank_pack_pdf("Camden", PackOptions())
    text = pdf_text(pdf)
    assert "What you asked for" not in text and "For " not in text
    assert "Camden work coach" in text and "Hackney food bank" not in text
    national = pdf_text(documents.blank_pack_pdf("", PackOptions()))
    assert "National ID helpline" in national and "Camden work coach" not in national
    assert "services anyone in the country can use" in national


def test_his_pre_filled_form_carries_who_he_is_and_his_reference(day):
    pdf = documents.form_pdf(man(day, "john"), day["users"]["organiser"])
    text = "\n".join(pdf_lines(pdf))
    reference = day["references"]["john"]
    assert "John Fictional" in text and "A1234BC" in text
    assert f"Form reference\n{reference}" in text
    assert f"reference {reference}" in pdf_reader(pdf).pages[-1].extract_text()
    assert "Camden work coach" in text and "Camden housing desk" in text
    assert "Closed project" not in text and "Hackney food bank" not in text  # not referable
    wording = referral_form.questions()
    assert f"consent wording version {wording['consent_version']}" in text
    assert " ".join(wording["consent_text"].split()[:8]) in " ".join(text.split())
    assert pdf_reader(pdf).metadata.title == "Self-referral form"
    assert len(pdf_reader(pdf).pages) <= 2
    assert "\u2610 Yes" in text  # the tick boxes, from DejaVu Sans, embedded
    fonts = embedded_fonts(pdf)
    assert any("DejaVu-Sans" in name for name, _ in fonts) and all(ok for _, ok in fonts)


def test_the_qr_code_drawn_on_the_form_is_the_reference(day):
    reference = day["references"]["john"]
    html = documents.form_html(man(day, "john"))
    path = re.search(r'<path d="([^"]+)"', html).group(1)
    drawn = {(int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", path)}
    code = segno.make_qr(reference, error="m")
    expected = {(x + 4, y + 4) for y, row in enumerate(code.matrix)
                for x, dark in enumerate(row) if dark}
    assert drawn == expected


def test_a_blank_form_has_lines_to_write_on_and_no_reference(day):
    text = pdf_text(documents.form_pdf(None))
    assert "Self-referral form" in text and "Form reference" not in text
    assert "Camden work coach" in text


def test_each_pdf_of_his_details_is_audited_and_blank_ones_are_not(day):
    organiser = day["users"]["organiser"]
    john = man(day, "john")
    documents.pack_pdf(john, PackOptions(easy_read=True), organiser)
    documents.form_pdf(john, organiser)
    documents.form_pdf(None)
    documents.blank_pack_pdf("Camden", PackOptions())
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id,
                                     AuditEvent.object_id, AuditEvent.detail)
                              .where(AuditEvent.action.like("%.printed"))).all()
    assert rows == [("pack.printed", organiser, str(john.id), "easy read"),
                    ("referral_form.printed", organiser, str(john.id), None)]


def test_a_man_from_another_session_is_refused(day):
    from inreach.errors import DomainError
    with pytest.raises(DomainError):
        documents.member(day["visit"], day["session"] + 1, day["john"])
