"""What a resource pack says, as plain values: his plan (what he asked for), the directory for
his release area plus national services by pathway, and the urgent-help page.

The one rule on which directory entries a pack may carry lives here: active entries only, and
entries nobody has checked lately (``needs_checking``) only when the organiser, warned about
them on the preview, chose to include them. What he asked for is always printed."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..cohorts.models import CohortMember
from ..cohorts.register import register_order
from ..database import db
from ..dates import today
from ..directory.models import Service
from ..directory.services import find_services, needs_checking
from ..directory.vocabulary import NATIONAL, PATHWAYS
from ..referrals.models import ReferralSet

URGENT = "urgent"


@dataclass(frozen=True)
class PackOptions:
    """How to print a pack: the variant, whether his name goes on it, and whether entries that
    need checking go in (only after the organiser saw the warning)."""

    easy_read: bool = False
    large_print: bool = False
    with_name: bool = True
    include_unchecked: bool = False

    @property
    def variant(self) -> str:
        """The variant's name, as used in titles and audit rows."""
        names = [name for name, on in (("easy read", self.easy_read),
                                       ("large print", self.large_print)) if on]
        return " and ".join(names) or "standard"


def default_options(member: CohortMember, referral_set: ReferralSet | None) -> PackOptions:
    """His preferences from the capture form (or the cohort list, before he was seen)."""
    chosen = referral_set or member.person
    return PackOptions(easy_read=chosen.easy_read, large_print=chosen.large_print)


def release_area(member: CohortMember, referral_set: ReferralSet | None) -> str:
    """Where he will live after release: as he told us on the day, else the cohort list."""
    return (referral_set.release_area if referral_set else "") or member.person.release_area


def release_areas(session_id: int) -> set[str]:
    """Where the men placed in a session will live after release (``release_area``): the men
    with their details, then all their referral sets, in two queries whatever their number."""
    sets = {referral_set.member_id: referral_set for referral_set in db.session.scalars(
        select(ReferralSet).join(ReferralSet.member).where(CohortMember.session_id == session_id))}
    return {release_area(man, sets.get(man.id)) for man in register_order(session_id)}


def service_entry(service: Service) -> dict:
    """A directory entry as a pack prints it."""
    return {"name": service.name, "organisation": service.organisation.name,
            "description": service.description, "url": service.url, "email": service.email,
            "phones": [{"number": phone.number, "description": phone.description}
                       for phone in service.phones],
            "opening_hours": service.opening_hours, "fees": service.fees or "Free",
            "how_to_access": service.application_process, "address": service.address,
            "languages": service.languages, "next_steps": service.next_steps}


def directory(area: str, include_unchecked: bool) -> dict:
    """The pack's directory for an area (national services too): active entries, each once,
    under its first pathway (urgent help has its own page), and the names of those that need
    checking."""
    active = [service for service in find_services(area=area or NATIONAL)
              if service.status == "active"]
    unchecked = [service for service in active if needs_checking(service)]
    printed = [service for service in active
               if include_unchecked or service not in unchecked]
    listed = [service for service in printed if URGENT not in service.pathway_codes]
    by_pathway = [{"code": code, "label": label, "services": [
        _with_other_pathways(service) for service in listed
        if service.pathway_codes[0] == code]} for code, label in PATHWAYS.items()]
    return {"area": area,
            "pathways": [pathway for pathway in by_pathway if pathway["services"]],
            "urgent": [service_entry(s) for s in printed if URGENT in s.pathway_codes],
            "unchecked": [service.name for service in unchecked]}


def _with_other_pathways(service: Service) -> dict:
    """The entry, with the other pathways it helps with (it is printed under its first)."""
    return {**service_entry(service),
            "also": [PATHWAYS[code] for code in service.pathway_codes[1:]]}


def what_he_asked_for(referral_set: ReferralSet | None) -> dict:
    """His self-referrals: services he agreed to share his details with (and what happens next)
    and services he chose without sharing (so he contacts them himself)."""
    if referral_set is None:
        return {"recorded": False, "referred": [], "contact_yourself": []}
    chosen = [(referral.status, service_entry(referral.service))
              for referral in referral_set.referrals]
    return {"recorded": True,
            "referred": [entry for status, entry in chosen if status == "made"],
            "contact_yourself": [entry for status, entry in chosen if status != "made"]}


def pack(member: CohortMember, referral_set: ReferralSet | None, options: PackOptions,
         on: date | None = None, directories: dict | None = None) -> dict:
    """Everything his pack prints, as plain values, from his place on the cohort and his
    referral set (``set_for``). A batch passes ``directories`` so each area's directory is
    looked up once."""
    person, visit = member.person, member.visit
    area = release_area(member, referral_set)
    directories = {} if directories is None else directories
    if area not in directories:
        directories[area] = directory(area, options.include_unchecked)
    return {"options": _options(options), "first_name": person.first_name
            if options.with_name else "", "release_date": person.release_date,
            "prison_name": visit.prison.name, "visit_date": visit.date,
            "pack_date": on or today(), "asked": what_he_asked_for(referral_set),
            "directory": directories[area]}


def blank_pack(area: str, options: PackOptions, on: date | None = None) -> dict:
    """A pack for a man who was not seen: no name, no plan, the directory for the area."""
    return {"options": _options(options), "first_name": "", "release_date": None,
            "prison_name": "", "visit_date": None, "pack_date": on or today(),
            "asked": None, "directory": directory(area, options.include_unchecked)}


def _options(options: PackOptions) -> dict:
    """The options as plain values for the template."""
    return {"easy_read": options.easy_read, "large_print": options.large_print,
            "variant": options.variant}
