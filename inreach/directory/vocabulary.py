"""The directory's fixed words: resettlement pathways, service statuses, the details a referral
may need to carry, and the area that means "anywhere in the country"."""

import uuid

# The seven resettlement pathways, plus urgent help; codes are stored, labels shown.
PATHWAYS = {
    "accommodation": "Accommodation",
    "attitudes": "Attitudes, thinking and behaviour",
    "families": "Children, families and communities",
    "drugs_alcohol": "Drugs and alcohol",
    "education_work": "Education, skills and work",
    "finance_id": "Finance and ID",
    "health": "Health",
    "urgent": "Urgent help",
}

# Open Referral UK service statuses, with the words shown to people.
STATUSES = {
    "active": "Active",
    "inactive": "Inactive",
    "defunct": "Closed for good",
    "temporarily closed": "Temporarily closed",
}

# What a receiving team may need with a self-referral, beyond his name.
REFERRAL_DETAILS = {
    "prison_number": "Prison number",
    "date_of_birth": "Date of birth",
    "release_date": "Release date",
    "address": "Address after release",
    "phone": "Phone number",
    "probation": "Probation practitioner",
}

# How referrals reach a referable service: a secure email address inreach sends to, or a way
# an organiser uses by hand (with the service's instructions).
REFERRAL_ROUTES = {
    "email": "Secure email",
    "phone": "Phone",
    "portal": "Online portal",
    "post": "Post",
}
# Working days a service takes to answer a referral, unless its entry says otherwise.
ANSWER_DAYS = 10

# A service area with this name means the service is open to anyone in the country.
NATIONAL = "National"

# The taxonomy the pathways are published under in Open Referral UK exports. Term ids are
# derived from the codes, so every inreach export names a pathway with the same id.
TAXONOMY = "inreach resettlement pathways"
_NAMESPACE = uuid.UUID("5b0c5a4e-5f57-4b7e-9d53-2c6f3c1e9a01")


def pathway_term_id(code: str) -> str:
    """The Open Referral UK taxonomy term id for a pathway."""
    return str(uuid.uuid5(_NAMESPACE, f"pathway:{code}"))


def derived_id(*parts: str) -> str:
    """A stable id for a part of an entry that has none of its own (a schedule, a language)."""
    return str(uuid.uuid5(_NAMESPACE, ":".join(parts)))
