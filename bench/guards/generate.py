"""Labelled PII sentences in eight languages, from fixed templates and Faker values (seeded).

    .venv/bin/python -m bench.guards.generate --n 50 > /tmp/pii.jsonl   # to look at the data

Every value is generated here, not taken from the detector: Faker's own providers for names,
addresses, phones, emails, cards, IBANs, FR NIR, ES DNI/NIE, IT codice fiscale, NL BSN, US SSN;
our own generators (below) for UK NINO, DE Steuer-ID, passports, MRNs, dates and secrets.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
from dataclasses import dataclass

from bench.guards.templates import LOCALES, TEMPLATES
from faker import Faker

SEED = 20261128
_SLOT = re.compile(r"\{([A-Z_]+)\}")
_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
    "dezembro",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
}
_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@dataclass
class Sample:
    text: str
    spans: list[tuple[int, int, str]]
    lang: str


def _nino(rng: random.Random) -> str:
    first = rng.choice([c for c in string.ascii_uppercase if c not in "DFIQUV"])
    second = rng.choice([c for c in string.ascii_uppercase if c not in "DFIOQUV"])
    while first + second in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
        second = rng.choice("ABCEHJKLMPRSW")
    digits = "".join(rng.choice(string.digits) for _ in range(6))
    sep = rng.choice(["", " "])
    pairs = sep.join(digits[i : i + 2] for i in (0, 2, 4))
    return f"{first}{second}{sep}{pairs}{sep}{rng.choice('ABCD')}"


def _steuer_id(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(9)]
        counts = sorted((digits.count(d) for d in set(digits)), reverse=True)
        if counts[0] == 2 and (len(counts) < 2 or counts[1] == 1):
            break
    product = 10
    for d in digits:
        s = (d + product) % 10 or 10
        product = (s * 2) % 11
    value = "".join(map(str, digits)) + str((11 - product) % 10)
    return value if rng.random() < 0.6 else f"{value[:2]} {value[2:5]} {value[5:8]} {value[8:]}"


def _secret(rng: random.Random) -> str:
    alnum = string.ascii_letters + string.digits
    kind = rng.randrange(5)
    if kind == 0:
        return "sk-proj-" + "".join(rng.choice(alnum) for _ in range(48))
    if kind == 1:
        return "AKIA" + "".join(
            rng.choice(string.ascii_uppercase + string.digits) for _ in range(16)
        )
    if kind == 2:
        return "ghp_" + "".join(rng.choice(alnum) for _ in range(36))
    if kind == 3:
        return "xoxb-" + "-".join(
            "".join(rng.choice(string.digits) for _ in range(12)) for _ in "ab"
        )
    return "".join(rng.choice(alnum) for _ in range(40))


def _date(rng: random.Random, fake: Faker, lang: str) -> str:
    d = fake.date_of_birth(minimum_age=18, maximum_age=90)
    months = _MONTHS.get(lang, _MONTHS["en"]).split()
    style = rng.randrange(3)
    if style == 0:
        sep = {"de": ".", "nl": "-"}.get(lang, "/")
        return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"
    if style == 1 or lang == "ar":
        return d.isoformat()
    month = months[d.month - 1]
    if lang == "en":
        return f"{month} {d.day}, {d.year}"
    if lang in ("es", "pt"):
        return f"{d.day} de {month} de {d.year}"
    if lang == "de":
        return f"{d.day}. {month} {d.year}"
    return f"{d.day} {month} {d.year}"


def _group4(value: str, rng: random.Random) -> str:
    return (
        " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if rng.random() < 0.5 else value
    )


def value(kind: str, fake: Faker, rng: random.Random, lang: str) -> str:
    us, fr, es = Faker("en_US"), Faker("fr_FR"), Faker("es_ES")
    for f in (us, fr, es):
        f.seed_instance(rng.randrange(1 << 30))
    makers = {
        "PERSON": lambda: f"{fake.first_name()} {fake.last_name()}",
        "EMAIL": fake.email,
        "PHONE": fake.phone_number,
        "ADDRESS": lambda: fake.address().replace("\n", ", "),
        "CREDIT_CARD": lambda: _group4(fake.credit_card_number(), rng),
        "IBAN": lambda: _group4(fake.iban(), rng),
        "US_SSN": us.ssn,
        "UK_NINO": lambda: _nino(rng),
        "DE_STEUER_ID": lambda: _steuer_id(rng),
        "FR_NIR": fr.ssn,
        "ES_DNI": lambda: es.nif() if rng.random() < 0.5 else es.nie(),
        "IT_CODICE_FISCALE": Faker("it_IT").ssn,
        "NL_BSN": Faker("nl_NL").ssn,
        "PASSPORT": lambda: (
            rng.choice(string.ascii_uppercase)
            + "".join(rng.choice(string.digits) for _ in range(rng.choice([7, 8])))
        ),
        "IP_ADDRESS": fake.ipv4 if rng.random() < 0.8 else fake.ipv6,
        "DATE_OF_BIRTH": lambda: _date(rng, fake, lang),
        "MEDICAL_RECORD": lambda: (
            rng.choice(["", "MRN-", "H"])
            + "".join(rng.choice(string.digits) for _ in range(rng.choice([6, 7, 8])))
        ),
        "SECRET": lambda: _secret(rng),
    }
    if kind in ("IT_CODICE_FISCALE", "NL_BSN"):
        faker = Faker("it_IT" if kind == "IT_CODICE_FISCALE" else "nl_NL")
        faker.seed_instance(rng.randrange(1 << 30))
        return str(faker.ssn())
    return str(makers[kind]())


def generate(n_per_lang: int, seed: int = SEED) -> list[Sample]:
    rng = random.Random(seed)
    samples: list[Sample] = []
    for lang, templates in TEMPLATES.items():
        fakers = [Faker(loc) for loc in LOCALES[lang]]
        for f in fakers:
            f.seed_instance(rng.randrange(1 << 30))
        for _ in range(n_per_lang):
            template = rng.choice(templates)
            fake = rng.choice(fakers)
            text, spans, cursor = "", [], 0
            for m in _SLOT.finditer(template):
                text += template[cursor : m.start()]
                filled = value(m.group(1), fake, rng, lang)
                if lang == "ar":
                    filled = filled.translate(_ARABIC_DIGITS)
                spans.append((len(text), len(text) + len(filled), m.group(1)))
                text += filled
                cursor = m.end()
            text += template[cursor:]
            samples.append(Sample(text, spans, lang))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=60, help="sentences per language")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    for s in generate(args.n, args.seed):
        print(json.dumps({"text": s.text, "spans": s.spans, "lang": s.lang}, ensure_ascii=False))


if __name__ == "__main__":
    main()
