"""Open Referral UK JSON: services as the ORUK API's ``/services`` page, and back into plain
entry values. Field names are ORUK's (HSDS 3.0); our referral details, which ORUK has no place
for, travel under one extra key, ``inreach_referral``. Pure functions: no database."""

import json
from collections.abc import Iterable, Iterator

from .entries import (
    MAX_SERVICES,
    ContactEntry,
    Entry,
    OrganisationEntry,
    PhoneEntry,
    check_id,
    parse_date,
    pathway_code,
    refuse,
    route_code,
    where,
)
from .models import DirectoryOrganisation, Service
from .services import unique_areas
from .vocabulary import ANSWER_DAYS, PATHWAYS, TAXONOMY, derived_id, pathway_term_id

REFERRAL_KEY = "inreach_referral"
TERM_CODES = {pathway_term_id(code): code for code in PATHWAYS}
# A service sits two levels deep (the page, then its "contents"): every line of its own dump is
# indented this much more. JSON escapes the new lines inside strings, so every "\n" is a line.
CONTENTS_INDENT = "    "


# Export --------------------------------------------------------------------------------------

def export_text(services: list[Service]) -> str:
    """The services as an ORUK JSON document, always written the same way for the same data."""
    return "".join(export_chunks(len(services), [services]))


def export_chunks(total: int, batches: Iterable[list[Service]]) -> Iterator[str]:
    """The document for ``total`` services in pieces, one per batch, so a download can be
    written while it is read: exactly the text ``json.dumps(page, indent=2)`` gives for the
    whole page, services indented two levels inside "contents"."""
    fields = _page_fields(total)
    if not total:
        yield json.dumps(fields | {"contents": []}, indent=2, ensure_ascii=False) + "\n"
        return
    yield json.dumps(fields, indent=2, ensure_ascii=False)[:-len("\n}")] + ',\n  "contents": [\n'
    separator = ""
    for batch in batches:
        pieces = []
        for service in batch:
            text = json.dumps(service_object(service), indent=2, ensure_ascii=False)
            pieces.append(separator + CONTENTS_INDENT + text.replace("\n", "\n" + CONTENTS_INDENT))
            separator = ",\n"
        yield "".join(pieces)
    yield "\n  ]\n}\n"


def _page_fields(total: int) -> dict:
    """The ORUK API's paginated-response fields for one page holding every service."""
    return {"total_items": total, "total_pages": 1, "page_number": 1, "size": total,
            "first_page": True, "last_page": True, "empty": not total}


def service_object(service: Service) -> dict:
    """One service with everything hanging off it, in ORUK field names."""
    service_id = service.oruk_id
    return {
        "id": service_id, "name": service.name, "description": service.description,
        "url": service.url, "email": service.email, "status": service.status,
        "fees": service.fees, "eligibility_description": service.eligibility,
        "application_process": service.application_process,
        "assured_date": service.assured_date.isoformat() if service.assured_date else None,
        "assurer_email": service.assurer_email,
        "organization": organisation_object(service.organisation),
        "contacts": [{"id": contact.oruk_id, "name": contact.name, "title": contact.title,
                      "phones": [{"id": phone.oruk_id, "number": phone.number,
                                  "description": phone.description}
                                 for phone in contact.phones]}
                     for contact in service.contacts],
        "service_areas": [{"id": area.oruk_id, "name": area.name} for area in service.areas],
        "languages": [{"id": derived_id(service_id, "language", name), "name": name}
                      for name in languages(service.languages)],
        "schedules": ([{"id": derived_id(service_id, "schedule"),
                        "description": service.opening_hours}] if service.opening_hours else []),
        "service_at_locations": _locations(service),
        "attributes": [_attribute(service_id, code) for code in service.pathway_codes],
        REFERRAL_KEY: referral_object(service),
    }


def referral_object(service: Service) -> dict:
    """Our extension: self-referrals, what the receiving team needs, how referrals reach it,
    how many working days it takes to answer, and whether it is an IPS employment service."""
    return {"accepts_self_referrals": service.referable,
            "what_happens_next": service.next_steps,
            "referral_contact": service.referral_contact,
            "details_required": service.detail_codes,
            "referral_route": service.referral_route,
            "referral_email": service.referral_email,
            "referral_instructions": service.referral_instructions,
            "answer_working_days": service.answer_days,
            "ips_employment": service.ips}


def organisation_object(organisation: DirectoryOrganisation) -> dict:
    """The organisation running a service."""
    return {"id": organisation.oruk_id, "name": organisation.name,
            "description": organisation.description, "email": organisation.email,
            "website": organisation.website}


def languages(text: str) -> list[str]:
    """The language names in a comma-separated list."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _locations(service: Service) -> list[dict]:
    """The service's address as one physical location; we keep the address as written, so it
    all goes in address_1 (ORUK requires the other parts, which stay blank)."""
    if not service.address:
        return []
    service_id = service.oruk_id
    return [{"id": derived_id(service_id, "service_at_location"), "location": {
        "id": derived_id(service_id, "location"), "name": service.address.splitlines()[0],
        "addresses": [{"id": derived_id(service_id, "address"), "address_1": service.address,
                       "city": "", "state_province": "", "postal_code": "", "country": "GB",
                       "address_type": "physical"}]}}]


def _attribute(service_id: str, code: str) -> dict:
    """A pathway as an ORUK attribute linking the service to a term of our taxonomy."""
    term_id = pathway_term_id(code)
    return {"id": derived_id(service_id, "pathway", code), "link_id": service_id,
            "link_type": "service_type", "link_entity": "service", "taxonomy_term_id": term_id,
            "taxonomy_term": {"id": term_id, "name": PATHWAYS[code], "term": code,
                              "taxonomy": TAXONOMY}}


# Import --------------------------------------------------------------------------------------

def read(text: str) -> tuple[list[Entry], list[str]]:
    """The well-formed services in an ORUK JSON file, and the problems with the others."""
    items = _service_items(_load(text))
    problems: list[str] = []
    entries = [_entry(position, item, problems) for position, item in enumerate(items, 1)]
    return [entry for entry in entries if entry is not None], problems


def _load(text: str):
    """The parsed JSON, or a refusal saying where it stops being JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise refuse(f"The file is not valid JSON: {error.msg} at line {error.lineno}, "
                     f"column {error.colno}") from None
    except RecursionError:
        raise refuse("The file is not valid JSON: it is nested too deeply") from None


def _service_items(data) -> list:
    """The list of services: the document's "contents", or the file itself if it is a list."""
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    if not isinstance(data, list):
        raise refuse('The file must be a list of services, or an Open Referral UK page of '
                     'services (an object with "contents")')
    if len(data) > MAX_SERVICES:
        raise refuse(f"The file has {len(data):,} services: at most {MAX_SERVICES:,} can be "
                     "imported at once")
    return data


def _kind(value) -> str:
    """What a JSON value is, in words."""
    if isinstance(value, bool):
        return "true/false"
    return {str: "text", int: "a number", float: "a number with a decimal point",
            list: "a list", dict: "an object"}.get(type(value), "null")


class _Fields:
    """One JSON object's fields; a value of the wrong type is noted as a problem (and read as
    blank) so that reading goes on and every problem in the file is found."""

    def __init__(self, data: dict, what: str, problems: list[str]):
        self.data, self.what, self.problems = data, what, problems

    def _wrong(self, key: str, expected: str) -> None:
        """Note a field of the wrong type."""
        self.problems.append(f'{self.what}: "{key}" must be {expected}, not '
                             f"{_kind(self.data[key])}")

    def id(self) -> str:
        """The object's id (required)."""
        return check_id(self.data.get("id"), self.what, self.problems) or ""

    def text(self, key: str) -> str:
        """A text field, trimmed; missing or null is blank."""
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return (value or "").strip()
        self._wrong(key, "text")
        return ""

    def flag(self, key: str) -> bool:
        """A true/false field; missing or null is false."""
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        self._wrong(key, "true or false")
        return False

    def whole_number(self, key: str, default: int) -> int:
        """A whole number; missing or null is the default."""
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self._wrong(key, "a whole number")
        return default

    def texts(self, key: str) -> list[str]:
        """A list of text; missing or null is empty."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self._wrong(key, "a list of text")
            return []
        return [item.strip() for item in value]

    def child(self, key: str, required: bool = False) -> "_Fields":
        """A nested object (empty when missing and not required)."""
        value = self.data.get(key)
        if isinstance(value, dict):
            return _Fields(value, f"{self.what}, {key}", self.problems)
        if value is not None:
            self._wrong(key, "an object")
        elif required:
            self.problems.append(f'{self.what}: "{key}" is missing')
        return _Fields({}, self.what, self.problems)

    def children(self, key: str, noun: str) -> list["_Fields"]:
        """A list of nested objects, each named by its position for problems."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self._wrong(key, "a list")
            return []
        found = []
        for position, item in enumerate(value, 1):
            if isinstance(item, dict):
                found.append(_Fields(item, f"{self.what}, {noun} {position}", self.problems))
            else:
                self.problems.append(f"{self.what}, {noun} {position}: must be an object, "
                                     f"not {_kind(item)}")
        return found


def _entry(position: int, item, problems: list[str]) -> Entry | None:
    """One service's values, or None (with the problems noted) if it is not well formed."""
    label = where("Entry", position, item.get("name") if isinstance(item, dict) else None)
    if not isinstance(item, dict):
        problems.append(f"{label}: must be an object with the service's fields, not "
                        f"{_kind(item)}")
        return None
    found = len(problems)
    fields = _Fields(item, label, problems)
    contacts = [_contact(contact) for contact in fields.children("contacts", "contact")]
    areas = [(area.id(), area.text("name"))
             for area in fields.children("service_areas", "service area")]
    entry = Entry(where=label, id=fields.id(), values=_values(fields, contacts, areas),
                  organisation=_organisation(fields.child("organization", required=True)),
                  contacts=contacts, area_ids=_area_ids(areas),
                  assured_date=_assured_date(fields), assurer_email=fields.text("assurer_email"))
    return entry if len(problems) == found else None


def _values(fields: _Fields, contacts: list[ContactEntry], areas: list[tuple[str, str]]) -> dict:
    """The service's own values, in the shape ``services.clean_service`` gives."""
    referral = fields.child(REFERRAL_KEY)
    return {
        "name": fields.text("name"), "organisation_id": None,
        "description": fields.text("description"), "status": fields.text("status"),
        "url": fields.text("url"), "email": fields.text("email"),
        "eligibility": fields.text("eligibility_description"),
        "application_process": fields.text("application_process"), "fees": fields.text("fees"),
        "languages": ", ".join(filter(None, (language.text("name") for language
                                             in fields.children("languages", "language")))),
        "address": _address(fields),
        "opening_hours": "\n".join(filter(None, (schedule.text("description") for schedule
                                                 in fields.children("schedules", "schedule")))),
        "pathways": _pathways(fields), "areas": unique_areas([name for _, name in areas]),
        "phones": [(phone.number, phone.description)
                   for contact in contacts for phone in contact.phones],
        "referable": referral.flag("accepts_self_referrals"),
        "next_steps": referral.text("what_happens_next"),
        "referral_contact": referral.text("referral_contact"),
        "referral_details": referral.texts("details_required"),
        "referral_route": route_code(referral.text("referral_route")),
        "referral_email": referral.text("referral_email"),
        "referral_instructions": referral.text("referral_instructions"),
        "answer_days": referral.whole_number("answer_working_days", ANSWER_DAYS),
        "ips": referral.flag("ips_employment"),
    }


def _organisation(fields: _Fields) -> OrganisationEntry:
    """The organisation running the service (its id is required)."""
    return OrganisationEntry(id=fields.id() if fields.data else None, name=fields.text("name"),
                             description=fields.text("description"),
                             website=fields.text("website"), email=fields.text("email"))


def _contact(fields: _Fields) -> ContactEntry:
    """A contact and its phone numbers."""
    return ContactEntry(id=fields.id(), name=fields.text("name"), title=fields.text("title"),
                        phones=[PhoneEntry(id=phone.id(), number=phone.text("number"),
                                           description=phone.text("description"))
                                for phone in fields.children("phones", "phone")])


def _area_ids(areas: list[tuple[str, str]]) -> dict[str, str]:
    """Each area's id by its name as stored (the first id wins if a name is repeated)."""
    ids: dict[str, str] = {}
    for area_id, name in areas:
        for stored in unique_areas([name]):
            ids.setdefault(stored, area_id)
    return ids


def _address(fields: _Fields) -> str:
    """The lines of every address of every location, one per line."""
    lines = [address.text(key)
             for link in fields.children("service_at_locations", "service at location")
             for address in link.child("location").children("addresses", "address")
             for key in ("address_1", "address_2", "city", "postal_code")]
    return "\n".join(line for line in lines if line)


def _pathways(fields: _Fields) -> list[str]:
    """The pathway codes from attributes in our taxonomy; an unknown term of ours is kept as
    written so the rules refuse it by name; other taxonomies' terms are none of our business."""
    codes: list[str] = []
    for attribute in fields.children("attributes", "attribute"):
        term = attribute.child("taxonomy_term")
        term_id = attribute.text("taxonomy_term_id") or term.text("id")
        code = TERM_CODES.get(term_id)
        if code is None and term.text("taxonomy") == TAXONOMY:
            written = term.text("term") or term.text("name")
            code = pathway_code(written) or pathway_code(term.text("name")) or written
        if code is not None and code not in codes:
            codes.append(code)
    return codes


def _assured_date(fields: _Fields):
    """When the entry was last checked, or None."""
    text = fields.text("assured_date")
    try:
        return parse_date(text) if text else None
    except ValueError:
        fields.problems.append(f'{fields.what}: "assured_date" must be a date like 2026-11-24, '
                               f"not {text[:40]!r}")
        return None
