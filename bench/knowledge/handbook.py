"""A synthetic company handbook with questions and relevance labels, generated from a seed.

Every section states one distinctive fact in its first sentence (the section's *key*). A
question is labelled with the keys of the sections that answer it; a retrieved chunk is
relevant when it contains a key (whitespace-normalised), so labels survive any format and any
chunking. Questions come in two kinds:

- lexical: keywords and identifiers as a person pastes them (form and error codes, which are
  numbered in sequence as real ones are, names, system names): BM25's ground;
- natural: a question in the document's own words ("How many days of annual leave ...");
- semantic: a paraphrase sharing no key word with the answer ("vacation" for "annual
  leave", "accommodation" for "hotel"): the embedding model's ground.

Near-duplicate sections (the same policy for twelve offices) make the entity matter.
Documents are written as Markdown, HTML, DOCX, PDF and text, so every reader is exercised.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.knowledge.make_docs import docx_bytes, pdf_bytes, write

Kind = Literal["lexical", "natural", "semantic"]
Format = Literal["md", "html", "docx", "pdf", "txt"]


@dataclass
class Section:
    heading: str
    key: str
    extra: list[str]

    @property
    def text(self) -> str:
        return " ".join([self.key, *self.extra])


@dataclass
class Doc:
    name: str
    title: str
    format: Format
    sections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class Question:
    text: str
    keys: tuple[str, ...]
    kind: Kind


OFFICES = [
    "Berlin", "Lisbon", "Toronto", "Singapore", "Austin", "Nairobi",
    "Warsaw", "Melbourne", "Dublin", "Sao Paulo", "Osaka", "Cape Town",
]  # fmt: skip
CITIES = [
    ("London", "GBP"), ("Paris", "EUR"), ("New York", "USD"), ("Tokyo", "JPY"),
    ("Zurich", "CHF"), ("Madrid", "EUR"), ("Chicago", "USD"), ("Stockholm", "SEK"),
    ("Seoul", "KRW"), ("Mumbai", "INR"), ("Mexico City", "MXN"), ("Vienna", "EUR"),
    ("Boston", "USD"), ("Oslo", "NOK"), ("Prague", "CZK"), ("Sydney", "AUD"),
]  # fmt: skip
# (system name, purpose as written, the same purpose in other words)
SYSTEMS = [
    ("Helix", "expense reporting", "claiming back money I spent on business costs"),
    ("Orion", "code review", "getting colleagues to check my programming changes"),
    ("Juniper", "customer support ticketing", "answering complaints from clients"),
    ("Atlas", "payroll administration", "seeing my salary slips"),
    ("Beacon", "video conferencing", "holding online meetings with a camera"),
    ("Cobalt", "design prototyping", "sketching mock-ups of new screens"),
    ("Nimbus", "sales forecasting", "predicting next quarter's revenue from deals"),
    ("Quartz", "contract management", "storing signed agreements with suppliers"),
    ("Sable", "log search", "looking through server error messages"),
    ("Tundra", "feature flag management", "switching product functionality on and off"),
    ("Vertex", "on-call scheduling", "finding out who is on duty for outages tonight"),
    ("Zephyr", "employee onboarding", "preparing the first week of a new hire"),
    ("Lumen", "vendor invoice approval", "signing off bills from suppliers"),
    ("Monarch", "data warehouse querying", "running analytics SQL over company data"),
    ("Pylon", "password vault", "keeping shared login credentials safe"),
    ("Rook", "internal wiki", "writing team documentation pages"),
]
APPROVERS = ["your line manager", "the IT security team", "the system owner", "a director"]
# (form code prefix, what it is for, the same in other words)
FORMS = [
    ("HR", "change the bank account your salary is paid into", "update where my pay goes"),
    ("HR", "request a sabbatical of up to six months", "take a long career break"),
    ("HR", "report a change of home address", "tell the company I moved house"),
    ("HR", "apply for an internal transfer to another team", "switch departments"),
    ("HR", "declare a conflict of interest", "disclose that a relative works at a vendor"),
    ("HR", "request a reference letter", "get proof of employment for a landlord"),
    ("FIN", "request a corporate credit card", "get a company payment card"),
    ("FIN", "claim mileage for using a private car", "get paid for driving my own vehicle"),
    ("FIN", "register a new supplier", "onboard a new vendor for payments"),
    ("FIN", "request an advance for travel costs", "get money before a business trip"),
    ("FIN", "report a lost corporate card", "tell finance my company card is missing"),
    ("FIN", "approve a purchase above the budget limit", "buy something too expensive"),
    ("IT", "request a second monitor", "get an extra screen for my desk"),
    ("IT", "report a lost or stolen laptop", "say my work computer was taken"),
    ("IT", "request administrator rights on a workstation", "install software myself"),
    ("IT", "order a mobile phone for work", "get a company smartphone"),
    ("IT", "request VPN access for a contractor", "let an external consultant connect remotely"),
    ("IT", "return equipment when leaving the company", "hand back my gear on my last day"),
    ("SEC", "report a suspected phishing email", "flag a suspicious message in my inbox"),
    ("SEC", "request an exception to the password policy", "keep an old login secret"),
    ("SEC", "register a visitor for the office", "bring a guest into the building"),
    ("SEC", "report a security incident", "tell someone about a data leak"),
    ("LEG", "request a non-disclosure agreement", "get an NDA before a sales call"),
    ("LEG", "ask for a trademark search", "check whether a product name is taken"),
    ("FAC", "book a parking space", "reserve a spot for my car"),
    ("FAC", "request an ergonomic chair", "get a better seat for my back"),
    ("FAC", "report a broken door or window", "get the building fixed"),
    ("FAC", "request a locker", "get somewhere to store my things at work"),
]
# (heading, key sentence template, semantic, lexical and natural question); {n} {m} numbers.
SINGLE_FACTS = [
    ("Password rules",
     "Passwords must be at least {n} characters long and are rotated every {m} days.",
     "How long does my login secret need to be?",
     "password length characters rotated",
     "How many characters must a password have?"),
    ("Laptop encryption",
     "Every laptop must use full-disk encryption, and a device that has not checked in "
     "for {n} days is locked remotely.",
     "What happens if my notebook computer stays offline for weeks?",
     "laptop full-disk encryption locked remotely",
     "When is a laptop locked remotely?"),
    ("Remote work",
     "Employees may work from home up to {n} days per week after their probation period.",
     "How often am I allowed to skip the office and stay at my house?",
     "work from home days per week",
     "How many days per week may employees work from home?"),
    ("Working abroad",
     "Working from another country is allowed for at most {n} days in any twelve months.",
     "Can I do my job from a foreign beach for a while, and for how long?",
     "working from another country days twelve months",
     "How many days may I work from another country?"),
    ("Probation period",
     "New employees serve a probation period of {n} months with a review after {m} weeks.",
     "How long until a new starter is confirmed in the job?",
     "probation period months review",
     "How long is the probation period for new employees?"),
    ("Notice period",
     "After probation, the notice period is {n} weeks for either side.",
     "How much warning must I give before I quit?",
     "notice period weeks",
     "What is the notice period after probation?"),
    ("Pension matching",
     "The company matches pension contributions up to {n} percent of base salary.",
     "How much does the employer add to my retirement savings?",
     "pension contributions matched percent",
     "Up to what percent of salary does the company match pension contributions?"),
    ("Training budget",
     "Each employee has a learning budget of {n}00 euros per year for courses and books.",
     "How much money can I spend on my own education?",
     "learning budget euros courses",
     "How big is the learning budget for courses and books?"),
    ("Overtime",
     "Overtime beyond {n} hours per month must be approved in advance and is compensated "
     "with time off.",
     "Do I get paid extra for working late?",
     "overtime hours approved compensated",
     "How is overtime compensated?"),
    ("Gifts and hospitality",
     "Gifts from business partners worth more than {n}0 euros must be declared to "
     "compliance.",
     "Can I keep the expensive bottle of wine a supplier sent me?",
     "gifts business partners declared compliance",
     "Which gifts from business partners must be declared?"),
    ("Bicycle scheme",
     "The bike leasing scheme covers bicycles up to {n}000 euros, repaid from gross salary "
     "over {m} months.",
     "Can the company help me buy a bike?",
     "bike leasing scheme bicycles",
     "What does the bike leasing scheme cover?"),
    ("Mobile phone allowance",
     "Staff who use a personal phone for work receive {n}0 euros per month.",
     "Is there money for using my own cell for the job?",
     "personal phone allowance per month",
     "How much do staff get for using a personal phone for work?"),
    ("Data retention",
     "Customer records are deleted {n} years after the end of the contract.",
     "When do we throw away information about former clients?",
     "customer records deleted years contract",
     "When are customer records deleted?"),
    ("Clean desk",
     "Confidential papers must be locked away at the end of each day under the clean desk "
     "rule.",
     "What should I do with sensitive printouts before I go home?",
     "clean desk confidential papers locked",
     "What does the clean desk rule say about confidential papers?"),
    ("Company car",
     "Company cars are available to sales staff who drive more than {n}0000 kilometres a "
     "year.",
     "Who gets a vehicle from the firm?",
     "company cars sales staff kilometres",
     "Which sales staff get company cars?"),
]  # fmt: skip
FILLER = [
    "This policy is reviewed every year by the People team and the works council.",
    "Questions about this section can be raised with your HR business partner.",
    "Managers are expected to apply these rules consistently across their teams.",
    "Exceptions are recorded in the employee file together with the reason.",
    "Local law takes precedence where it grants employees more generous terms.",
    "The latest version of this page is always the one published on the intranet.",
    "Previous versions are archived and can be requested from the compliance office.",
    "If anything here is unclear, ask before acting rather than after.",
    "Team leads receive a summary of changes at the start of each quarter.",
    "Contractors follow the rules of their own agency unless stated otherwise.",
]
VALUES_TOPICS = [
    "customer focus", "ownership", "transparency", "craftsmanship", "inclusion",
    "sustainability", "curiosity", "frugality", "candour", "teamwork",
]  # fmt: skip
# (system, cause as the runbook states it, the same symptom as a user would describe it)
ERRORS = [
    ("VPN", "the client certificate has expired", "my remote access certificate is out of date"),
    (
        "VPN",
        "the tunnel was closed after eight hours of inactivity",
        "I got kicked off after idling",
    ),
    ("VPN", "the home router blocks UDP port 500", "my internet box at home is blocking it"),
    ("VPN", "two devices use the same account at once", "I'm signed in on my phone and laptop"),
    (
        "SSO",
        "the one-time code was entered after it expired",
        "my six-digit login number was too old",
    ),
    (
        "SSO",
        "the account is locked after five failed attempts",
        "I typed my password wrong too often",
    ),
    ("SSO", "the device clock is more than five minutes off", "my computer's time is wrong"),
    (
        "SSO",
        "the browser blocks third-party cookies",
        "my web browser privacy settings stop sign-in",
    ),
    ("MAIL", "the mailbox has reached its 50 GB quota", "my inbox is full"),
    ("MAIL", "an attachment is larger than 25 MB", "the file I'm sending is too big"),
    ("MAIL", "the recipient domain is on the block list", "I can't write to that company"),
    (
        "MAIL",
        "the forwarding rule points outside the company",
        "auto-forward to my private address",
    ),
    ("PRINT", "the print job was not released within one hour", "my document never came out"),
    (
        "PRINT",
        "the badge is not registered at the printer",
        "my card isn't recognised at the copier",
    ),
    (
        "PRINT",
        "colour printing is disabled for the cost centre",
        "I can only print black and white",
    ),
    (
        "WIFI",
        "the laptop certificate for the staff network is missing",
        "no internet in the office",
    ),
    ("WIFI", "the guest network voucher has expired", "the visitor wireless code stopped working"),
    ("WIFI", "too many devices are registered to one user", "I have too many gadgets connected"),
]
FIRST_NAMES = [
    "Anneliese", "Tomasz", "Wanjiru", "Haruto", "Siobhan", "Joao", "Priyanka", "Mateus",
    "Ingrid", "Kwabena", "Mei", "Dmitri", "Aoife", "Rafael", "Yuki", "Oluwaseun", "Greta",
    "Santiago", "Nadia", "Lars",
]  # fmt: skip
LAST_NAMES = [
    "Kowalczyk", "Okonkwo", "Nakamura", "Fitzgerald", "Albuquerque", "Ramaswamy", "Lindqvist",
    "Mensah", "Zhang", "Volkov", "Gallagher", "Herrera", "Tanaka", "Adeyemi", "Brandt",
    "Castellanos", "Haddad", "Eriksen", "Moreau", "Szabo",
]  # fmt: skip
# (topic as written, the same topic as a person asks about it)
CONTACT_TOPICS = [
    ("payroll", "my salary"),
    ("benefits enrolment", "signing up for health insurance"),
    ("visa and immigration", "a work permit"),
    ("office facilities", "a broken air conditioner"),
    ("IT hardware", "a new keyboard"),
]
HISTORY_YEARS = list(range(1990, 2025))
TEAMS = [
    "Payments", "Identity", "Search", "Mobile", "Growth", "Billing", "Platform", "Data",
    "Security", "Support", "Logistics", "Pricing", "Partnerships", "Recruiting", "Legal ops",
    "Design systems", "Infrastructure", "Reliability", "Analytics", "Localisation",
    "Onboarding", "Procurement", "Treasury", "Tax", "Internal tools", "Marketplace",
    "Notifications", "Fraud", "Compliance", "Documentation",
]  # fmt: skip


def generate(seed: int = 7) -> tuple[list[Doc], list[Question]]:
    rng = random.Random(seed)
    docs: list[Doc] = []
    questions: list[Question] = []

    def filler(k: int = 2) -> list[str]:
        return rng.sample(FILLER, k)

    # Leave, per office (Markdown): near-duplicates where only the office and numbers differ.
    for office in OFFICES:
        doc = Doc(f"leave/{office.lower().replace(' ', '-')}.md", f"Time off in {office}", "md")
        days, weeks, carry = rng.randint(20, 32), rng.randint(1, 4), rng.randint(3, 10)
        annual = Section(
            "Annual leave",
            f"Employees based in the {office} office are entitled to {days} days of paid "
            "annual leave per calendar year.",
            [f"Requests are entered at least {weeks} weeks ahead, and up to {carry} unused "
             "days may be carried over until 31 March.", *filler()],
        )  # fmt: skip
        hour, day = rng.choice(["9am", "10am", "11am"]), rng.randint(2, 5)
        sick = Section(
            "Sick leave",
            f"Staff in {office} who are unwell must tell their line manager before {hour} on "
            f"the first day of absence, and a medical certificate is required from day {day}.",
            filler(),
        )
        primary, secondary = rng.randint(12, 26), rng.randint(2, 8)
        parental = Section(
            "Parental leave",
            f"Primary caregivers in {office} receive {primary} weeks of fully paid parental "
            f"leave, and secondary caregivers receive {secondary} weeks.",
            filler(),
        )
        holidays = Section(
            "Public holidays",
            f"The {office} office observes {rng.randint(8, 15)} public holidays each year, "
            "published every December by the local People team.",
            filler(),
        )
        opens, closes = rng.choice(["7am", "7:30am", "8am"]), rng.choice(["6pm", "7pm", "8pm"])
        hours = Section(
            "Office hours",
            f"The {office} office is open from {opens} to {closes} on weekdays, and badge "
            "access outside these hours needs approval from facilities.",
            filler(1),
        )
        doc.sections = [annual, sick, parental, holidays, hours]
        docs.append(doc)
        questions += [
            Question(f"How many vacation days a year do people in {office} get?",
                     (annual.key,), "semantic"),
            Question(f"{office} office annual leave entitlement", (annual.key,), "lexical"),
            Question(f"How many days of paid annual leave do employees in {office} get?",
                     (annual.key,), "natural"),
            Question(f"How many weeks of parental leave do primary caregivers get in {office}?",
                     (parental.key,), "natural"),
            Question(f"When do I need a doctor's note if I'm ill and work in {office}?",
                     (sick.key,), "semantic"),
            Question(f"How long is paid maternity leave in {office}?", (parental.key,),
                     "semantic"),
            Question(f"{office} public holidays", (holidays.key,), "lexical"),
            Question(f"What time does the {office} building shut in the evening?",
                     (hours.key,), "semantic"),
        ]  # fmt: skip

    # Travel limits per city (HTML).
    travel = Doc("travel/limits.html", "Travel and expenses: city limits", "html")
    for city, currency in CITIES:
        hotel = Section(
            f"Hotel cap: {city}",
            f"For business trips to {city}, the nightly hotel rate may not exceed "
            f"{rng.randint(12, 40) * 10} {currency} including taxes.",
            [f"Bookings above the cap need written approval from {rng.choice(APPROVERS)}.",
             *filler(1)],
        )  # fmt: skip
        meals = Section(
            f"Meal allowance: {city}",
            f"The daily meal allowance in {city} is {rng.randint(4, 12) * 10} {currency}, "
            "and alcohol is never reimbursed.",
            filler(1),
        )
        taxi = Section(
            f"Local transport: {city}",
            f"In {city}, taxis are reimbursed only after {rng.randint(8, 11)}pm; during the "
            "day public transport is expected.",
            filler(1),
        )
        travel.sections += [hotel, meals, taxi]
        questions += [
            Question(f"What's the most I can spend on accommodation per night in {city}?",
                     (hotel.key,), "semantic"),
            Question(f"{city} hotel rate cap", (hotel.key,), "lexical"),
            Question(f"What is the nightly hotel rate limit for business trips to {city}?",
                     (hotel.key,), "natural"),
            Question(f"How much can I spend on food each day when visiting {city}?",
                     (meals.key,), "semantic"),
            Question(f"Can I expense a cab ride in {city} in the afternoon?", (taxi.key,),
                     "semantic"),
        ]  # fmt: skip
    docs.append(travel)

    # Internal systems (DOCX).
    systems = Doc("it/systems.docx", "Internal systems and access", "docx")
    for name, purpose, paraphrase in SYSTEMS:
        queue, approver = f"{name.upper()}-ACCESS", rng.choice(APPROVERS)
        section = Section(
            f"{name}",
            f"{name} is the company's tool for {purpose}.",
            [f"Access is requested through the {queue} queue and approved by {approver}.",
             f"Accounts unused for {rng.randint(30, 120)} days are disabled automatically.",
             *filler(1)],
        )  # fmt: skip
        systems.sections.append(section)
        questions += [
            Question(f"Which application do we use for {paraphrase}?", (section.key,),
                     "semantic"),
            Question(f"Who approves access to {name}?", (section.key,), "lexical"),
            Question(f"Which tool is used for {purpose}?", (section.key,), "natural"),
        ]  # fmt: skip
    docs.append(systems)

    # Forms (PDF, one page each for HR/FIN/IT/...).
    by_prefix: dict[str, Doc] = {}
    numbers: dict[str, int] = {}
    for prefix, action, paraphrase in FORMS:
        doc = by_prefix.setdefault(
            prefix, Doc(f"forms/{prefix.lower()}-forms.pdf", f"{prefix} forms", "pdf")
        )
        # Numbered in sequence, as real form catalogues are: HR-301, HR-302, ...
        numbers[prefix] = numbers.get(prefix, rng.randint(1, 8) * 100) + 1
        code = f"{prefix}-{numbers[prefix]}"
        section = Section(
            f"Form {code}",
            f"Form {code} is used to {action}.",
            [f"Send the completed form to the {prefix} desk; processing takes "
             f"{rng.randint(2, 10)} working days.", *filler(1)],
        )  # fmt: skip
        doc.sections.append(section)
        questions += [
            Question(f"What is form {code} for?", (section.key,), "lexical"),
            Question(f"Which form do I fill in to {paraphrase}?", (section.key,), "semantic"),
            Question(f"Which form is used to {action}?", (section.key,), "natural"),
        ]
    docs += list(by_prefix.values())

    # IT error codes (Markdown runbook): identifiers a person pastes from an error dialog.
    runbook = Doc("it/error-codes.md", "Error codes", "md")
    counters: dict[str, int] = {}
    for system, cause, symptom in ERRORS:
        counters[system] = counters.get(system, rng.randint(1, 8) * 100) + 1
        code = f"{system}-{counters[system]}"
        section = Section(
            f"Error {code}",
            f"Error code {code} means that {cause}.",
            [f"Open a ticket in the {system} queue if restarting does not help.", *filler(1)],
        )
        runbook.sections.append(section)
        questions += [
            Question(f"error {code}", (section.key,), "lexical"),
            Question(f"What does error code {code} mean?", (section.key,), "natural"),
            Question(f"Why does {system} fail when {symptom}?", (section.key,), "semantic"),
        ]
    docs.append(runbook)

    # Contacts (HTML): names a model has never seen, for the same topics in every office.
    contacts = Doc("people/contacts.html", "Who to ask", "html")
    names = rng.sample([f"{f} {s}" for f in FIRST_NAMES for s in LAST_NAMES], 24)
    for name, office in zip(names, OFFICES * 2, strict=False):
        topic, asked = CONTACT_TOPICS[len(contacts.sections) % len(CONTACT_TOPICS)]
        section = Section(
            name,
            f"{name} is the {topic} contact for the {office} office, on extension "
            f"{rng.randint(1000, 9999)}.",
            filler(1),
        )
        contacts.sections.append(section)
        questions += [
            Question(f"{name} extension", (section.key,), "lexical"),
            Question(f"Who in {office} helps with {asked}?", (section.key,), "semantic"),
            Question(
                f"Who is the {topic} contact for the {office} office?", (section.key,), "natural"
            ),
        ]
    docs.append(contacts)

    # One-off policies (plain text).
    policies = Doc("policies/general.txt", "General policies", "txt")
    for heading, template, semantic, lexical, natural in SINGLE_FACTS:
        key = template.format(n=rng.randint(2, 9), m=rng.randint(10, 90))
        section = Section(heading, key, filler())
        policies.sections.append(section)
        questions += [
            Question(semantic, (key,), "semantic"),
            Question(lexical, (key,), "lexical"),
            Question(natural, (key,), "natural"),
        ]
    docs.append(policies)

    # Distractors: values and history, never the answer to any question.
    values = Doc("about/values.md", "Our values", "md")
    for topic in VALUES_TOPICS:
        values.sections.append(
            Section(topic.capitalize(),
                    f"We practise {topic} in how we plan, build and support our products.",
                    filler(3))
        )  # fmt: skip
    history = Doc("about/history.md", "Company history", "md")
    for year in HISTORY_YEARS:
        history.sections.append(
            Section(str(year),
                    f"In {year} the company opened its {rng.choice(OFFICES)} office and grew to "
                    f"{rng.randint(50, 5000)} employees.",
                    filler(2))
        )  # fmt: skip
    teams = Doc("about/teams.md", "Team directory", "md")
    for team in TEAMS:
        teams.sections.append(
            Section(f"{team} team",
                    f"The {team} team is based in {rng.choice(OFFICES)} and reports to the "
                    f"{rng.choice(['engineering', 'finance', 'operations', 'product'])} "
                    "director.",
                    filler(2))
        )  # fmt: skip
    docs += [values, history, teams]
    return docs, questions


def render(doc: Doc) -> bytes | str:
    if doc.format == "md":
        body = "\n\n".join(f"## {s.heading}\n\n{s.text}" for s in doc.sections)
        return f"# {doc.title}\n\n{body}\n"
    if doc.format == "html":
        body = "".join(f"<h2>{s.heading}</h2><p>{s.text}</p>" for s in doc.sections)
        return f"<html><head><title>{doc.title}</title></head><body>{body}</body></html>"
    if doc.format == "docx":
        return docx_bytes(doc.title, [(s.heading, [s.text]) for s in doc.sections])
    if doc.format == "pdf":
        return pdf_bytes([[s.heading, s.text] for s in doc.sections], title=doc.title)
    return "\n\n".join(f"{s.heading}\n\n{s.text}" for s in doc.sections) + "\n"


def write_handbook(folder: Path, seed: int = 7) -> tuple[list[Doc], list[Question]]:
    docs, questions = generate(seed)
    for doc in docs:
        write(folder / doc.name, render(doc))
    return docs, questions


def synthetic_chunks(count: int, seed: int = 11) -> list[str]:
    """Passage-like texts for scale tests: the handbook's sentence shapes with random values."""
    rng = random.Random(seed)
    words = [w.strip(".,") for s in FILLER for w in s.split()]
    texts = []
    for n in range(count):
        office, (city, currency) = rng.choice(OFFICES), rng.choice(CITIES)
        name, purpose, _ = rng.choice(SYSTEMS)
        key = rng.choice(
            [
                f"Employees based in the {office} office are entitled to {rng.randint(20, 32)} "
                "days of paid annual leave per calendar year.",
                f"For business trips to {city}, the nightly hotel rate may not exceed "
                f"{rng.randint(12, 40) * 10} {currency} including taxes.",
                f"{name} is the company's tool for {purpose}.",
                f"Form X-{n} is used to {rng.choice(FORMS)[1]}.",
            ]
        )
        tail = " ".join(rng.choice(words) for _ in range(rng.randint(40, 110)))
        texts.append(f"{key} {' '.join(rng.sample(FILLER, 2))} {tail}.")
    return texts


def archive_sections(count: int, seed: int = 13) -> list[Section]:
    """Hard negatives for the evaluation: superseded versions of handbook facts (same
    entities, same wording, other values, "until 2019"). None contains a question's key, so
    they only ever make ranking harder, as old versions in a real document store do."""
    rng = random.Random(seed)
    sections = []
    for n in range(count):
        office, (city, currency) = rng.choice(OFFICES), rng.choice(CITIES)
        name, purpose, _ = rng.choice(SYSTEMS)
        system, cause, _ = rng.choice(ERRORS)
        key = rng.choice(
            [
                f"Until 2019, employees based in the {office} office were entitled to "
                f"{rng.randint(18, 30)} days of paid annual leave per calendar year.",
                f"Until 2019, for business trips to {city}, the nightly hotel rate could not "
                f"exceed {rng.randint(10, 40) * 10} {currency}.",
                f"Until 2019, {name} was the company's tool for {purpose}.",
                f"Until 2019, error code {system}-{rng.randint(100, 999)} meant that {cause}.",
                f"Until 2019, form {rng.choice(FORMS)[0]}-{rng.randint(100, 999)} was used to "
                f"{rng.choice(FORMS)[1]}.",
            ]
        )
        sections.append(Section(f"Archived rule {n}", key, rng.sample(FILLER, 2)))
    return sections


def write_archive(folder: Path, count: int, per_file: int = 50) -> None:
    sections = archive_sections(count)
    for start in range(0, count, per_file):
        doc = Doc(f"archive/archive-{start // per_file:03}.md", "Archived rules", "md")
        doc.sections = sections[start : start + per_file]
        write(folder / doc.name, render(doc))


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "handbook")
    docs, questions = write_handbook(target)
    sections = sum(len(d.sections) for d in docs)
    print(f"{len(docs)} documents, {sections} sections, {len(questions)} questions -> {target}")
