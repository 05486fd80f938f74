"""A small hand-written set for document versions: pairs that are versions of one policy
(a few amounts, dates and sentences changed) and pairs of different policies of one company
that share its boilerplate. `test_versions.py` checks the near-duplicate threshold separates
them; the travel pair is the issue's example ($55 in 2023, $65 in 2025)."""

from __future__ import annotations

BOILERPLATE = (
    "This policy applies to all employees, contractors and interns of Northwind Traders GmbH "
    "and its subsidiaries. Questions about this policy go to the People team at "
    "people@northwind.example. Northwind may change this policy at any time; the version on "
    "the intranet is the one that applies."
)


def travel(year: int, meal: int, hotel: int, extra: str, dated: bool = True) -> str:
    stated = f"Effective date: January 1, {year}.\n\n" if dated else ""
    return f"""# Travel policy

{stated}{BOILERPLATE}

## Booking

Book flights and trains through the company travel portal at least 14 days ahead. Economy
class is the rule for flights under six hours; business class needs a director's approval.

## Meals

The daily meal allowance inside the US is ${meal} per day. Outside the US the per-diem rates
of the State Department apply. Alcohol is never reimbursed.

## Hotels

Hotels up to ${hotel} per night are approved without further review. {extra}

## Expenses

Submit receipts within 30 days of returning. Claims older than 90 days are not paid.
"""


TRAVEL_2023 = travel(2023, 55, 180, "Airbnb stays are not allowed.")
TRAVEL_2025 = travel(
    2025, 65, 210, "Short-term rentals are allowed when cheaper than the nearest approved hotel."
)


def leave(days: int, carry: int, year: int) -> str:
    return f"""# Annual leave

Valid from {year}-04-01.

{BOILERPLATE}

## Entitlement

Every full-time employee gets {days} days of paid annual leave a year, plus public holidays.
Part-time employees get the same share of days as of working hours.

## Carry-over

Up to {carry} unused days carry over into the next year and expire on March 31.

## Requests

Request leave in the HR portal at least two weeks ahead; your manager answers within five
working days.
"""


LEAVE_V1 = leave(26, 5, 2022)
LEAVE_V2 = leave(28, 10, 2024)

SECURITY = f"""# Information security policy

{BOILERPLATE}

## Passwords

Passwords have at least 14 characters and are kept in the company password manager. Never
reuse a password across services; turn on two-factor authentication everywhere it exists.

## Devices

Laptops use full-disk encryption and lock after five minutes. Report a lost device to the
service desk within one hour.
"""

EXPENSES = f"""# Expense policy

{BOILERPLATE}

## What is reimbursed

Work equipment up to 300 euros, professional books and conference fees with a manager's
approval. Gifts to customers need the compliance team's approval above 50 euros.

## How to claim

Submit receipts within 30 days in the expense tool. Claims older than 90 days are not paid.
"""

REMOTE = f"""# Remote work policy

{BOILERPLATE}

## Working from home

Employees may work from home up to three days a week after their probation period. The
company pays 30 euros a month towards internet costs.

## Working abroad

Working from another country needs HR's approval and is limited to 20 days a year.
"""

# Japanese: no spaces between words, so characters are the shingles' words.
JA_TRAVEL_2023 = (
    "# 出張規程\n\n本規程は2023年4月1日施行。国内出張の日当は一日3000円とする。"
    "宿泊費は一泊10000円を上限とする。領収書は帰着後30日以内に経理部へ提出すること。"
)
JA_TRAVEL_2025 = (
    "# 出張規程\n\n本規程は2025年4月1日施行。国内出張の日当は一日3500円とする。"
    "宿泊費は一泊12000円を上限とする。領収書は帰着後30日以内に経理部へ提出すること。"
    "新幹線はグリーン車を利用できない。"
)
JA_REMOTE = (
    "# 在宅勤務規程\n\n在宅勤務は週三日までとする。通信費として月3000円を支給する。"
    "申請は人事部へ提出すること。"
)
VERSION_PAIRS = [
    (TRAVEL_2023, TRAVEL_2025),
    (LEAVE_V1, LEAVE_V2),
    (JA_TRAVEL_2023, JA_TRAVEL_2025),
]
DIFFERENT_PAIRS = [
    (TRAVEL_2025, EXPENSES),
    (SECURITY, EXPENSES),
    (SECURITY, REMOTE),
    (EXPENSES, REMOTE),
    (LEAVE_V2, REMOTE),
    (TRAVEL_2023, LEAVE_V1),
    (JA_TRAVEL_2025, JA_REMOTE),
]
