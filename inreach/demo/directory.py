"""A demo service directory: fictional local services in the demo cohort's two release areas
(invented names, example.org addresses, Ofcom's drama phone numbers) and real national
helplines with their public numbers. Only Samaritans and NHS 111 are marked checked; every other
entry stays unchecked, so the "needs checking" warning shows as it would on real data.

Referable services say how referrals reach them: by secure email to fictional example.org
addresses, or by phone, online portal or post with instructions. Peer mentoring is left without
a route on purpose, so the "no referral route" warning shows too."""

from sqlalchemy import func, select

from ..database import db
from ..directory.models import DirectoryOrganisation, Service
from ..directory.services import (
    OrganisationDetails,
    ServiceDetails,
    create_organisation,
    create_service,
    mark_checked,
)
from ..directory.vocabulary import NATIONAL

DEMO = "Demo entry (fictional). "  # every fictional description starts with this
HF, EALING = "Hammersmith and Fulham", "Ealing"  # the demo cohort's release areas
WEEKDAYS = "Monday to Friday, 9am to 5pm"
CHECKER = "demo-checker@example.org"
CHECKED = ("Samaritans", "NHS 111")  # real entries whose details are well established

# Fictional organisations use example.org; real ones their public websites.
ORGANISATIONS = [
    {"name": "North Thames NHS Trust (demo)", "website": "https://example.org/north-thames",
     "email": "north-thames@example.org",
     "description": DEMO + "An NHS trust running mental health and employment services."},
    {"name": "Second Chance Mentors (demo)", "website": "https://example.org/second-chance",
     "email": "second-chance@example.org",
     "description": DEMO + "A charity of peer mentors who have been through prison themselves."},
    {"name": "Westway Housing Advice (demo)", "website": "https://example.org/westway",
     "email": "westway@example.org",
     "description": DEMO + "A housing advice charity in west London."},
    {"name": "Riverside Recovery (demo)", "website": "https://example.org/riverside",
     "email": "riverside@example.org",
     "description": DEMO + "A drug and alcohol treatment and recovery charity."},
    {"name": "Fresh Start Money Project (demo)", "website": "https://example.org/fresh-start",
     "email": "fresh-start@example.org",
     "description": DEMO + "Money, benefits and ID advice for people leaving prison."},
    {"name": "Linkway Family Support (demo)", "website": "https://example.org/linkway",
     "email": "linkway@example.org",
     "description": DEMO + "Support for families affected by imprisonment."},
    {"name": "Greenline Adult Learning Centre (demo)", "website": "https://example.org/greenline",
     "email": "greenline@example.org",
     "description": DEMO + "A community college for adult learners."},
    {"name": "Foundry Lane Skills (demo)", "website": "https://example.org/foundry-lane",
     "email": "foundry-lane@example.org",
     "description": DEMO + "A construction training provider."},
    {"name": "Brookside Community Pantry (demo)", "website": "https://example.org/brookside",
     "email": "brookside@example.org",
     "description": DEMO + "A volunteer-run food bank."},
    {"name": "Harbour Night Shelter (demo)", "website": "https://example.org/harbour",
     "email": "harbour@example.org",
     "description": DEMO + "A winter night shelter run by local churches."},
    {"name": "Healthlink Navigators (demo)", "website": "https://example.org/healthlink",
     "email": "healthlink@example.org",
     "description": DEMO + "Helps people register with a GP and dentist."},
    {"name": "Parkside Community Sport (demo)", "website": "https://example.org/parkside",
     "email": "parkside@example.org",
     "description": DEMO + "Free sport and fitness sessions in local parks."},
    {"name": "Samaritans", "website": "https://www.samaritans.org",
     "description": "A charity offering emotional support to anyone who is struggling to cope."},
    {"name": "NHS", "website": "https://www.nhs.uk",
     "description": "The National Health Service in England."},
    {"name": "Money Advice Trust", "website": "https://moneyadvicetrust.org",
     "description": "The charity that runs National Debtline."},
    {"name": "Shelter", "website": "https://england.shelter.org.uk",
     "description": "A housing and homelessness charity."},
    {"name": "FRANK", "website": "https://www.talktofrank.com",
     "description": "The national drugs information and advice service."},
    {"name": "National Careers Service", "website": "https://nationalcareers.service.gov.uk",
     "description": "Careers information, advice and guidance in England."},
    {"name": "Pact (Prison Advice and Care Trust)", "website": "https://www.prisonadvice.org.uk",
     "description": "A charity supporting prisoners, people with convictions and their "
                    "families."},
    {"name": "Refuge", "website": "https://refuge.org.uk",
     "description": "A charity supporting people experiencing domestic abuse."},
    {"name": "Narcotics Anonymous UK", "website": "https://ukna.org",
     "description": "A fellowship of people recovering from drug addiction."},
    {"name": "Citizens Advice", "website": "https://www.citizensadvice.org.uk",
     "description": "A charity giving free, confidential advice on money, work, housing and "
                    "legal problems."},
]

# Local services: fictional, with referral details and routes where they take self-referrals
# at a visit (all but peer mentoring, which shows the "no referral route" warning).
LOCAL_SERVICES = [
    {"organisation": "North Thames NHS Trust (demo)",
     "name": "Individual Placement and Support (IPS) employment service",
     "description": DEMO + "An NHS employment specialist helps you find paid work that suits "
                           "you, alongside your mental health or drug and alcohol support, and "
                           "keeps supporting you after you start.",
     "pathways": ["education_work", "health"], "areas": [HF, EALING],
     "eligibility": "Men released to Hammersmith and Fulham or Ealing who want paid work and "
                    "get support for their mental health or drug and alcohol use.",
     "application_process": "Self-refer at an in-reach visit, or ask your probation "
                            "practitioner or care coordinator to refer you.",
     "fees": "Free", "opening_hours": WEEKDAYS, "languages": "English, Polish",
     "url": "https://example.org/north-thames/ips", "email": "demo-ips@example.org",
     "phones": [("020 7946 0710", "IPS team, weekdays")],
     "referable": True,
     "next_steps": "An employment specialist will contact you through your probation officer "
                   "within two weeks of release.",
     "referral_contact": "IPS team, demo-ips@example.org",
     "referral_details": ["prison_number", "release_date", "probation", "phone"],
     "referral_route": "email", "referral_email": "demo-ips-referrals@example.org",
     "answer_days": 5, "ips": True},
    {"organisation": "Westway Housing Advice (demo)", "name": "Housing advice for prison leavers",
     "description": DEMO + "Advice on finding somewhere to live after release, making a "
                           "homeless application and keeping a tenancy.",
     "pathways": ["accommodation"], "areas": [HF],
     "eligibility": "Men released to Hammersmith and Fulham.",
     "application_process": "Self-refer at an in-reach visit, or drop in on a weekday morning.",
     "fees": "Free", "opening_hours": "Monday to Friday, 9.30am to 4.30pm; drop-in until 12pm",
     "address": "Fictional demo address, Hammersmith, London W6",
     "url": "https://example.org/westway/prison-leavers", "email": "demo-housing@example.org",
     "phones": [("020 7946 0720", "Advice line"), ("0808 157 0720", "Freephone, weekdays")],
     "referable": True,
     "next_steps": "A housing adviser will meet you on the day of release, or call you within "
                   "two working days, to make a plan for where you will stay.",
     "referral_contact": "Housing advice team, demo-housing@example.org",
     "referral_details": ["prison_number", "date_of_birth", "release_date", "probation"],
     "referral_route": "email", "referral_email": "demo-housing-referrals@example.org"},
    {"organisation": "Riverside Recovery (demo)", "name": "Drug and alcohol recovery service",
     "description": DEMO + "Treatment and recovery support for drugs and alcohol, including "
                           "prescribing, key work, groups and harm reduction.",
     "pathways": ["drugs_alcohol", "health"], "areas": [HF, EALING],
     "eligibility": "Adults aged 18 or over living in Hammersmith and Fulham or Ealing.",
     "application_process": "Self-refer at an in-reach visit, walk in, or phone.",
     "fees": "Free", "opening_hours": "Monday to Friday, 9am to 7pm; Saturday, 10am to 1pm",
     "address": "Fictional demo address, Ealing, London W5", "languages": "English, Punjabi",
     "url": "https://example.org/riverside/recovery", "email": "demo-recovery@example.org",
     "phones": [("020 7946 0730", "Reception")],
     "referable": True,
     "next_steps": "A recovery worker will book your first appointment for the week you are "
                   "released; if you have a prescription, they will arrange for it to continue.",
     "referral_contact": "Prison link worker, demo-recovery@example.org",
     "referral_details": ["prison_number", "date_of_birth", "release_date", "address"],
     "referral_route": "phone", "answer_days": 5,
     "referral_instructions": "Phone the prison link worker on 020 7946 0731, weekdays 9am to "
                              "5pm, with the referral sheet in front of you; they take the "
                              "details over the phone and give a reference to note."},
    {"organisation": "North Thames NHS Trust (demo)",
     "name": "Talking therapies and community mental health",
     "description": DEMO + "Talking therapies for stress, anxiety, low mood and trauma, and "
                           "a community mental health team for more serious illness.",
     "pathways": ["health"], "areas": [EALING],
     "eligibility": "Adults registered with, or able to register with, a GP in Ealing.",
     "application_process": "Self-refer at an in-reach visit, online, or through your GP.",
     "fees": "Free", "opening_hours": "Monday to Friday, 8am to 8pm",
     "url": "https://example.org/north-thames/talking", "email": "demo-talking@example.org",
     "phones": [("020 7946 0740", "Referrals and appointments")],
     "referable": True,
     "next_steps": "A therapist will call you within three weeks of release to talk about "
                   "what might help and agree a first appointment.",
     "referral_contact": "Talking therapies team, demo-talking@example.org",
     "referral_details": ["date_of_birth", "address", "phone"],
     "referral_route": "portal", "answer_days": 15,
     "referral_instructions": "Use the professionals' referral form at "
                              "https://example.org/north-thames/talking/refer and choose "
                              "\"Prison in-reach\" as where the referral comes from."},
    {"organisation": "Fresh Start Money Project (demo)", "name": "ID and bank account help",
     "description": DEMO + "Help to get a birth certificate or provisional driving licence as "
                           "ID, and to open a basic bank account for wages and benefits.",
     "pathways": ["finance_id"], "areas": [HF, EALING],
     "eligibility": "Men released to Hammersmith and Fulham or Ealing without ID or a bank "
                    "account.",
     "application_process": "Self-refer at an in-reach visit, or ask your probation "
                            "practitioner.",
     "fees": "Free; the project pays the fee for a birth certificate.",
     "opening_hours": WEEKDAYS,
     "url": "https://example.org/fresh-start/id", "email": "demo-id@example.org",
     "phones": [("0808 157 0750", "Freephone, weekdays")],
     "referable": True,
     "next_steps": "A money adviser will contact you through your probation officer within a "
                   "week of release to start your ID and bank account applications.",
     "referral_contact": "ID and banking team, demo-id@example.org",
     "referral_details": ["prison_number", "date_of_birth", "release_date", "probation"],
     "referral_route": "email", "referral_email": "demo-id-referrals@example.org"},
    {"organisation": "Linkway Family Support (demo)", "name": "Family reconnection service",
     "description": DEMO + "Family workers help you rebuild contact with partners and "
                           "children, including supported visits and help with family "
                           "court letters.",
     "pathways": ["families"], "areas": [EALING],
     "eligibility": "Men released to Ealing, and their families.",
     "application_process": "Self-refer at an in-reach visit; family members can also phone.",
     "fees": "Free", "opening_hours": "Monday to Thursday, 10am to 6pm",
     "url": "https://example.org/linkway/reconnect", "email": "demo-families@example.org",
     "phones": [("020 7946 0760", "Family workers")],
     "referable": True,
     "next_steps": "A family worker will write to you before release and arrange a first "
                   "meeting, with your family if they agree.",
     "referral_contact": "Family workers, demo-families@example.org",
     "referral_details": ["prison_number", "release_date", "address"],
     "referral_route": "post", "answer_days": 15,
     "referral_instructions": "Post the referral sheet to: Family workers, Linkway Family "
                              "Support (demo), fictional demo address, Ealing, London W5. Mark "
                              "the envelope \"Private and confidential\"."},
    {"organisation": "Second Chance Mentors (demo)", "name": "Through-the-gate peer mentoring",
     "description": DEMO + "A mentor who has been through prison meets you at release and "
                           "helps with appointments, routines and staying on track.",
     "pathways": ["attitudes", "education_work"], "areas": [HF, EALING],
     "eligibility": "Men released to Hammersmith and Fulham or Ealing.",
     "application_process": "Self-refer at an in-reach visit.",
     "fees": "Free", "opening_hours": "Mentors work flexible hours, including evenings.",
     "url": "https://example.org/second-chance/mentoring", "email": "demo-mentors@example.org",
     "phones": [("020 7946 0770", "Mentoring coordinator")],
     "referable": True,
     "next_steps": "A peer mentor will meet you at the gate or in your first week out, then "
                   "weekly for three months.",
     "referral_contact": "Mentoring coordinator, demo-mentors@example.org",
     "referral_details": ["prison_number", "release_date", "phone"]},
    {"organisation": "Westway Housing Advice (demo)", "name": "Single homeless advice, Ealing",
     "description": DEMO + "Advice for single adults who are homeless or at risk of losing "
                           "their home, and help finding a private rented room.",
     "pathways": ["accommodation"], "areas": [EALING],
     "eligibility": "Single adults in Ealing.",
     "application_process": "Drop in, or phone for an appointment.",
     "fees": "Free", "opening_hours": WEEKDAYS,
     "address": "Fictional demo address, Ealing, London W5",
     "url": "https://example.org/westway/ealing", "email": "demo-ealing-housing@example.org",
     "phones": [("020 7946 0780", "Advice line")]},
    {"organisation": "Harbour Night Shelter (demo)", "name": "Winter night shelter",
     "status": "temporarily closed",
     "description": DEMO + "Emergency beds from November to March. Closed while the hall is "
                           "repaired.",
     "pathways": ["accommodation", "urgent"], "areas": [HF],
     "eligibility": "Men aged 18 or over sleeping rough in Hammersmith and Fulham.",
     "application_process": "Referral by an outreach worker or the council's housing team.",
     "fees": "Free", "opening_hours": "Every night, 7pm to 8am, in winter.",
     "url": "https://example.org/harbour", "email": "demo-shelter@example.org",
     "phones": [("020 7946 0790", "Shelter coordinator")]},
    {"organisation": "Brookside Community Pantry (demo)", "name": "Community food bank",
     "description": DEMO + "Three days of emergency food, plus toiletries and advice on "
                           "benefits and budgeting.",
     "pathways": ["finance_id", "urgent"], "areas": [EALING],
     "eligibility": "Anyone in Ealing who cannot afford food.",
     "application_process": "Come with a food bank voucher from probation, your GP or an "
                            "advice service; on your first visit you can come without one.",
     "fees": "Free", "opening_hours": "Tuesday and Friday, 11am to 2pm",
     "address": "Fictional demo address, Acton, London W3",
     "url": "https://example.org/brookside", "email": "demo-pantry@example.org",
     "phones": [("020 7946 0800", "Food bank manager")]},
    {"organisation": "Greenline Adult Learning Centre (demo)",
     "name": "Adult skills courses",
     "description": DEMO + "Free courses in English, maths and computer skills, and short "
                           "courses that lead to work.",
     "pathways": ["education_work"], "areas": [HF, EALING],
     "eligibility": "Adults aged 19 or over; most courses are free if you are on benefits.",
     "application_process": "Phone or email to book an advice and assessment session.",
     "fees": "Free", "opening_hours": "Monday to Thursday, 9am to 8pm; Friday, 9am to 4pm",
     "url": "https://example.org/greenline/courses", "email": "demo-courses@example.org",
     "phones": [("020 7946 0810", "Admissions")], "languages": "English, Arabic, Somali"},
    {"organisation": "Foundry Lane Skills (demo)", "name": "Construction skills and CSCS card",
     "description": DEMO + "A two-week course for the health and safety test and CSCS "
                           "labourer's card, with introductions to local site employers.",
     "pathways": ["education_work"], "areas": [EALING],
     "eligibility": "Adults in Ealing who want to work on building sites.",
     "application_process": "Ask your work coach or probation practitioner to refer you, or "
                            "phone.",
     "fees": "Free", "opening_hours": WEEKDAYS,
     "url": "https://example.org/foundry-lane/cscs", "email": "demo-cscs@example.org",
     "phones": [("020 7946 0820", "Course bookings")]},
    {"organisation": "Fresh Start Money Project (demo)", "name": "Debt and benefits advice",
     "description": DEMO + "Help to claim Universal Credit, sort out debts and fines, and "
                           "make a budget.",
     "pathways": ["finance_id"], "areas": [HF],
     "eligibility": "Adults in Hammersmith and Fulham.",
     "application_process": "Phone for an appointment.",
     "fees": "Free", "opening_hours": WEEKDAYS,
     "url": "https://example.org/fresh-start/advice", "email": "demo-money@example.org",
     "phones": [("0808 157 0830", "Freephone advice line")]},
    {"organisation": "Healthlink Navigators (demo)", "name": "GP and dentist registration help",
     "description": DEMO + "Help to register with a GP and a dentist, and to get repeat "
                           "prescriptions and health records from prison.",
     "pathways": ["health"], "areas": [HF, EALING],
     "eligibility": "Anyone in Hammersmith and Fulham or Ealing; you do not need ID or a "
                    "fixed address to register with a GP.",
     "application_process": "Phone or email.",
     "fees": "Free", "opening_hours": WEEKDAYS,
     "url": "https://example.org/healthlink", "email": "demo-healthlink@example.org",
     "phones": [("020 7946 0840", "Navigators")]},
    {"organisation": "Riverside Recovery (demo)", "name": "Recovery community meetings",
     "description": DEMO + "Peer-led mutual aid meetings for people in recovery from drugs "
                           "or alcohol.",
     "pathways": ["drugs_alcohol"], "areas": [HF],
     "eligibility": "Anyone who wants to stop or cut down.",
     "application_process": "Just turn up.",
     "fees": "Free", "opening_hours": "Wednesday, 6pm to 7.30pm; Sunday, 11am to 12.30pm",
     "address": "Fictional demo address, Fulham, London SW6",
     "url": "https://example.org/riverside/meetings", "email": "demo-meetings@example.org",
     "phones": [("020 7946 0850", "Recovery community")]},
    {"organisation": "Second Chance Mentors (demo)", "name": "Managing anger and conflict",
     "description": DEMO + "A six-week group course on handling anger, stress and conflict "
                           "without things getting out of hand.",
     "pathways": ["attitudes"], "areas": [EALING],
     "eligibility": "Men in Ealing.",
     "application_process": "Phone or email to book a place; probation can also refer you.",
     "fees": "Free", "opening_hours": "Tuesday evenings, 6pm to 8pm",
     "url": "https://example.org/second-chance/conflict", "email": "demo-courses-scm@example.org",
     "phones": [("020 7946 0860", "Course bookings")]},
    {"organisation": "Linkway Family Support (demo)", "name": "Dads' group",
     "description": DEMO + "A weekly group for fathers after prison: parenting, contact with "
                           "children, and activities to do together.",
     "pathways": ["families", "attitudes"], "areas": [HF],
     "eligibility": "Fathers in Hammersmith and Fulham.",
     "application_process": "Phone to join.",
     "fees": "Free", "opening_hours": "Saturday, 10am to 12pm",
     "url": "https://example.org/linkway/dads", "email": "demo-dads@example.org",
     "phones": [("020 7946 0870", "Group leader")]},
    {"organisation": "North Thames NHS Trust (demo)", "name": "Evening crisis cafe",
     "description": DEMO + "A safe place to go in a mental health crisis in the evening, "
                           "with support workers and nurses.",
     "pathways": ["urgent", "health"], "areas": [EALING],
     "eligibility": "Adults in Ealing in mental health crisis.",
     "application_process": "Walk in, or phone first.",
     "fees": "Free", "opening_hours": "Every day, 6pm to 11pm",
     "address": "Fictional demo address, Southall, London UB1",
     "url": "https://example.org/north-thames/crisis-cafe", "email": "demo-crisis@example.org",
     "phones": [("0808 157 0880", "Freephone, evenings")]},
    {"organisation": "Greenline Adult Learning Centre (demo)", "name": "Job club",
     "status": "inactive",
     "description": DEMO + "A weekly drop-in for CVs and job applications. It no longer runs.",
     "pathways": ["education_work"], "areas": [HF],
     "eligibility": "Adults looking for work.",
     "application_process": "Drop in.",
     "fees": "Free", "opening_hours": "Thursday, 1pm to 4pm",
     "url": "https://example.org/greenline/job-club", "email": "demo-jobclub@example.org",
     "phones": [("020 7946 0890", "Reception")]},
    {"organisation": "Parkside Community Sport (demo)", "name": "Sport and wellbeing sessions",
     "description": DEMO + "Football, boxing fitness and walking groups, with coaches who "
                           "work with people after prison.",
     "pathways": ["health", "attitudes"], "areas": [HF, EALING],
     "eligibility": "Adults aged 18 or over.",
     "application_process": "Turn up, or phone to find the nearest session.",
     "fees": "Free", "opening_hours": "Sessions most weekday evenings and Saturday mornings.",
     "url": "https://example.org/parkside", "email": "demo-sport@example.org",
     "phones": [("020 7946 0900", "Coaches")]},
]

# National services: real, with their public numbers; not referable.
NATIONAL_SERVICES = [
    {"organisation": "Samaritans", "name": "Samaritans",
     "areas": [NATIONAL],
     "description": "Confidential emotional support for anyone who is struggling to cope, "
                    "day or night.",
     "pathways": ["urgent", "health"], "eligibility": "Anyone.",
     "application_process": "Call 116 123 free from any phone.", "fees": "Free",
     "opening_hours": "24 hours a day, every day", "url": "https://www.samaritans.org",
     "phones": [("116 123", "Free, 24 hours")]},
    {"organisation": "NHS", "name": "NHS 111",
     "areas": [NATIONAL],
     "description": "Urgent medical help and advice when it is not a life-threatening "
                    "emergency. For a life-threatening emergency, call 999.",
     "pathways": ["urgent", "health"], "eligibility": "Anyone in England.",
     "application_process": "Call 111, or go to 111.nhs.uk.", "fees": "Free",
     "opening_hours": "24 hours a day, every day", "url": "https://111.nhs.uk",
     "phones": [("111", "Free, 24 hours")]},
    {"organisation": "Money Advice Trust", "name": "National Debtline",
     "areas": [NATIONAL],
     "description": "Free, confidential debt advice by phone and online.",
     "pathways": ["finance_id"], "eligibility": "People in England, Wales and Scotland.",
     "application_process": "Phone, or use the website.", "fees": "Free",
     "url": "https://nationaldebtline.org", "phones": [("0808 808 4000", "Freephone")]},
    {"organisation": "Shelter", "name": "Shelter emergency helpline",
     "areas": [NATIONAL],
     "description": "Advice for people who are homeless, at risk of losing their home or "
                    "living in bad housing.",
     "pathways": ["accommodation", "urgent"], "eligibility": "People in England.",
     "application_process": "Phone the helpline.", "fees": "Free",
     "url": "https://england.shelter.org.uk", "phones": [("0808 800 4444", "Freephone")]},
    {"organisation": "FRANK", "name": "FRANK",
     "areas": [NATIONAL],
     "description": "Confidential information and advice about drugs.",
     "pathways": ["drugs_alcohol"], "eligibility": "Anyone.",
     "application_process": "Phone, text or use the website.", "fees": "Free to use",
     "url": "https://www.talktofrank.com", "phones": [("0300 123 6600", "Helpline")]},
    {"organisation": "National Careers Service", "name": "National Careers Service",
     "areas": [NATIONAL],
     "description": "Careers advice and help with CVs, training and finding work.",
     "pathways": ["education_work"], "eligibility": "Adults in England.",
     "application_process": "Phone, or use the website.", "fees": "Free",
     "url": "https://nationalcareers.service.gov.uk", "phones": [("0800 100 900", "Freephone")]},
    {"organisation": "Pact (Prison Advice and Care Trust)", "name": "Prisoners' Families Helpline",
     "areas": [NATIONAL],
     "description": "Information and emotional support for families and friends of people in "
                    "prison or leaving it.",
     "pathways": ["families"], "eligibility": "Anyone affected by imprisonment in England and "
                                              "Wales.",
     "application_process": "Phone, email or use the website.", "fees": "Free",
     "url": "https://www.prisonersfamilies.org", "phones": [("0808 808 3444", "Freephone")]},
    {"organisation": "Refuge", "name": "National Domestic Abuse Helpline",
     "areas": [NATIONAL],
     "description": "Support for women experiencing domestic abuse, and for family, friends "
                    "and others worried about them.",
     "pathways": ["urgent", "families"], "eligibility": "Women in England, and people "
                                                        "calling on their behalf.",
     "application_process": "Phone, or use the website.", "fees": "Free",
     "opening_hours": "24 hours a day, every day", "url": "https://www.nationaldahelpline.org.uk",
     "phones": [("0808 2000 247", "Freephone, 24 hours")]},
    {"organisation": "Narcotics Anonymous UK", "name": "Narcotics Anonymous",
     "areas": [NATIONAL],
     "description": "Meetings of people helping each other to stay clean from drugs.",
     "pathways": ["drugs_alcohol"], "eligibility": "Anyone who wants to stop using drugs.",
     "application_process": "Phone the helpline or find a meeting on the website.",
     "fees": "Free", "url": "https://ukna.org", "phones": [("0300 999 1212", "Helpline")]},
    {"organisation": "Citizens Advice", "name": "Citizens Advice",
     "areas": [NATIONAL],
     "description": "Free, confidential advice on benefits, debt, housing, work and legal "
                    "problems.",
     "pathways": ["finance_id", "accommodation"], "eligibility": "Anyone in England.",
     "application_process": "Phone Adviceline, use the website, or visit a local office.",
     "fees": "Free", "url": "https://www.citizensadvice.org.uk",
     "phones": [("0800 144 8848", "Adviceline, freephone")]},
]


def seed_directory() -> int:
    """Add the demo directory if the directory is empty; returns how many services it holds."""
    if db.session.scalar(select(Service.id).limit(1)) is None:
        organisations = seed_directory_organisations()
        for entry in LOCAL_SERVICES + NATIONAL_SERVICES:
            add_service(entry, organisations)
    return db.session.scalar(select(func.count()).select_from(Service))


def seed_directory_organisations() -> dict[str, int]:
    """The organisations' ids by name, adding those missing."""
    existing = {organisation.name: organisation.id
                for organisation in db.session.scalars(select(DirectoryOrganisation))}
    for entry in ORGANISATIONS:
        if entry["name"] not in existing:
            existing[entry["name"]] = create_organisation(OrganisationDetails(**entry), None).id
    return existing


def add_service(entry: dict, organisations: dict[str, int]) -> Service:
    """One entry under its organisation, marked checked if its details are well established."""
    values = {name: value for name, value in entry.items() if name != "organisation"}
    service = create_service(
        ServiceDetails(organisation_id=organisations[entry["organisation"]], **values), None)
    if service.name in CHECKED:
        mark_checked(service.id, CHECKER, None)
    return service
