"""The answer to a subject access request: what ``subject_access.gather`` found about him, as a ZIP
of JSON files (one per table, with a readable PDF of the same facts inside) or the PDF alone.
Every download is audited; the file names hold no name, only the day."""

import io
import json
import zipfile
from datetime import date, datetime

from ..audit.services import record
from ..audit.vocabulary import object_words, sentence
from ..cohorts.models import RELEASE_TYPES
from ..database import db, end_read, utcnow, writes
from ..dates import today
from ..followup.vocabulary import STATUSES
from ..printing.services import render_pdf
from . import reasons
from .subject_access import gather, json_value, person_by_public_id

PDF_TEMPLATE = "privacy/subject_access_pdf.html"
PDF_TITLE = "Subject access request: the personal data inreach holds"
README = """Everything inreach holds about one man, answered as a subject access request.

subject-access.pdf is a readable copy. Each .json file holds the rows of one database table
that are about him (a list, possibly empty), every column as stored, with a few readable
values added (a visit's date, a service's name, who did an audited action). Left out on
purpose: the secret hashes of referral links, printed PDFs themselves, other men's ids in a
print batch or an email, and the other man of a "keep apart" pair.
"""
# The person columns a reader sees first, with their labels.
RECORD = {"first_name": "First name", "last_name": "Last name",
          "prison_number": "Prison number", "date_of_birth": "Date of birth",
          "release_date": "Release date", "release_type": "Release type",
          "release_confirmed": "Release date confirmed", "location": "Location in the prison",
          "release_area": "Release area", "interests": "Interests",
          "easy_read": "Easy read", "large_print": "Large print",
          "interpreter_language": "Interpreter", "notes": "Notes",
          "created_at": "First recorded", "restricted_at": "Processing restricted since",
          "restricted_reason": "Why it is restricted"}
# Tables the PDF shows as plain lists of their columns, with a heading for each.
OTHER_TABLES = {"referral_submissions": "Tablet submissions that saved his records",
                "referral_set_changes": "Changes to his records after the visit",
                "job_starts": "Jobs he started",
                "referral_links": "Links the receiving teams answered by",
                "referral_dispatches": "Emails that carried his referrals",
                "print_jobs": "Print batches that included him",
                "print_parts": "Printed parts holding his pages",
                "keep_apart": "Kept apart from another man"}


def filename(extension: str) -> str:
    """The download's name: no name or number of his, only today's date."""
    return f"subject-access-{today().isoformat()}.{extension}"


def heading_of(key: str) -> str:
    """A column name as a heading: ``sent_on`` as "Sent on"."""
    return key.replace("_", " ").capitalize()


def readable(value) -> str:
    """A stored value as a reader reads it."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "–"
    if isinstance(value, datetime):  # only real dates: free text stays as it was typed
        return value.strftime("%d %B %Y %H:%M UTC")
    if isinstance(value, date):
        return value.strftime("%d %B %Y")
    return str(value)


def labelled(item: dict, skip: tuple[str, ...] = ()) -> list[list[str]]:
    """A row as (label, value) pairs for a definition list."""
    return [[heading_of(key), readable(value)] for key, value in item.items() if key not in skip]


def _record_value(person: dict, key: str):
    """One value of his record as a reader needs it: codes in words."""
    if key == "release_type":
        return RELEASE_TYPES.get(person[key], person[key])
    if key == "restricted_reason":
        return reasons.words("restrict", person[key])
    return person.get(key)


def pdf_context(data: dict[str, list[dict]]) -> dict:
    """The PDF's plain values: his record, visits, sets with the consent wording he heard,
    referrals with their history, the other tables, and the audit rows."""
    person = data["people"][0]
    record_rows = [[text, readable(_record_value(person, key))] for key, text in RECORD.items()]
    visit_of = {member["id"]: member["visit_date"] for member in data["cohort_members"]}
    return {
        "generated_at": utcnow().strftime("%d %B %Y at %H:%M UTC"),
        "record": record_rows,
        "visits": [[readable(m["visit_date"]), m["prison"], m["session_label"] or "Not placed",
                    readable(m["attendance"] or "not recorded"), readable(m["walk_in"])]
                   for m in data["cohort_members"]],
        "sets": [{"visit_date": readable(visit_of.get(item["member_id"])),
                  "version": item["consent_wording_version"],
                  "wording": item["consent_wording_text"],
                  "answers": labelled(item, ("consent_wording_text", "consent_wording_version"))}
                 for item in data["referral_sets"]],
        "referrals": [_referral(item, data) for item in data["referrals"]],
        "others": [{"heading": heading, "rows": [labelled(item) for item in data[table]]}
                   for table, heading in OTHER_TABLES.items()],
        "audit": [[readable(event["at"]), sentence(event["action"], event["actor_name"]),
                   object_words(event["object_type"], event["object_id"]),
                   event["detail"] or ""] for event in data["audit_events"]],
    }


def _referral(item: dict, data: dict[str, list[dict]]) -> dict:
    """One referral: the service, where it stands, its facts and each status change."""
    events = [[readable(event["on_date"]), STATUSES.get(event["status"], event["status"]),
               readable(event["reason"]), event["how"], readable(event["recorded_at"])]
              for event in data["referral_events"] if event["referral_id"] == item["id"]]
    return {"service": item["service_name"], "status": STATUSES.get(item["status"], ""),
            "facts": labelled(item, ("service_name",)), "events": events}


def pdf_bytes(data: dict[str, list[dict]]) -> bytes:
    """The readable PDF of what was gathered."""
    return render_pdf(PDF_TEMPLATE, pdf_context(data), title=PDF_TITLE)


def zip_bytes(data: dict[str, list[dict]], pdf: bytes) -> bytes:
    """The ZIP: a README, one JSON file per table and the PDF."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        for table, rows in data.items():
            archive.writestr(f"{table}.json", json.dumps(rows, indent=2, ensure_ascii=False,
                                                             default=json_value))
        archive.writestr("subject-access.pdf", pdf)
    return buffer.getvalue()


@writes
def _record_download(public_id: str, actor_id: int, what: str) -> None:
    """Audit and commit that this person downloaded his data."""
    person = person_by_public_id(public_id)
    record("data_request.downloaded", actor_id, "person", person.id, detail=what)
    db.session.commit()


def download(public_id: str, actor_id: int, what: str) -> bytes:
    """His data as "zip" or "pdf", audited (not_found for an unknown man). The audit row is
    committed before rendering, so no lock is held while WeasyPrint works."""
    data = gather(public_id)
    _record_download(public_id, actor_id, what)
    end_read()
    pdf = pdf_bytes(data)
    return pdf if what == "pdf" else zip_bytes(data, pdf)
