"""The follow-up's fixed words: where a referral stands, why it was declined or closed, how it
was sent, and the IPS job-start threshold. Codes are stored, labels shown."""

# Where a referral stands. ``not_shared`` (he did not agree to share his details) never moves.
STATUSES = {
    "made": "Made",
    "sent": "Sent",
    "accepted": "Accepted",
    "declined": "Declined",
    "no_contact": "Could not contact",
    "first_contact": "First contact",
    "closed": "Closed",
    "not_shared": "Not shared: he contacts them himself",
}

# The receiving service's answers to a sent referral (the link offers these three).
ANSWERS = ("accepted", "declined", "no_contact")

# Statuses a referral may move to from each status. Answers may be corrected among themselves
# (a team that could not reach him may reach him later); closed and not_shared are final.
NEXT = {
    "made": ("sent", "closed"),
    "sent": ("accepted", "declined", "no_contact", "first_contact", "closed"),
    "accepted": ("declined", "no_contact", "first_contact", "closed"),
    "declined": ("accepted", "no_contact", "closed"),
    "no_contact": ("accepted", "declined", "first_contact", "closed"),
    "first_contact": ("closed",),
    "closed": (),
    "not_shared": (),
}

DECLINE_REASONS = {
    "not_eligible": "Not eligible",
    "out_of_area": "Outside the service's area",
    "no_capacity": "No places or waiting list closed",
    "already_known": "Already supported by the service",
    "he_declined": "He said no when they contacted him",
    "other": "Other",
}

CLOSE_REASONS = {
    "completed": "Support finished",
    "disengaged": "He stopped engaging",
    "moved": "He moved out of the area",
    "recalled": "Returned to custody",
    "withdrawn": "He withdrew his consent",
    "other": "Other",
}

# How a referral reached its service, and how a change was recorded.
SENT_HOW = {
    "email": "Secure email",
    "phone": "Phone",
    "portal": "Online portal",
    "post": "Post",
}
HOW = {
    **SENT_HOW,
    "recorded": "Recorded in inreach",
    "link": "Receiving service, by link",
}

# IPS Grow counts a job start at this many paid hours a week or more.
JOB_START_HOURS = 4
MAX_HOURS = 80
