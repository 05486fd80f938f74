"""Names and addresses in non-Latin scripts, and whole spans for names and addresses in Latin
ones (particles kept, addresses not cut at the unit, plain words not taken for names)."""

# ruff: noqa: RUF001  (look-alike and other-script letters are what is tested)

from __future__ import annotations

import pytest

from switchgear.guards import entities as E
from switchgear.guards.pii import PiiDetector


def found(detector: PiiDetector, text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.type) for s in detector.scan(text).spans]


@pytest.mark.parametrize(
    ("text", "name", "clean"),
    [
        ("اسمي أحمد الخطيب وأعمل في دبي", "أحمد الخطيب", "كيف أكتب رسالة شكر إلى الفريق؟"),
        (
            "يرجى التواصل مع السيدة فاطمة الزهراء بخصوص الطلب",
            "فاطمة الزهراء",
            "يرجى التواصل مع الفريق بخصوص الطلب",
        ),
        ("שמי דניאל כהן ואני גר בחיפה", "דניאל כהן", "אני גר בחיפה ועובד בהייטק"),
        (
            "Пожалуйста, передайте документы Ивану Петрову до пятницы.",
            "Ивану Петрову",
            "Российская Федерация принимает новый закон о связи.",
        ),
        (
            "Меня зовут Ольга Сергеевна Смирнова.",
            "Ольга Сергеевна Смирнова",
            "Москва — столица России.",
        ),
        (
            "Ο κύριος Γιώργος Παπαδόπουλος θα έρθει αύριο.",
            "Γιώργος Παπαδόπουλος",
            "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
        ),
        (
            "मेरा नाम राहुल शर्मा है और मैं दिल्ली में रहता हूँ।",
            "राहुल शर्मा",
            "मैं दिल्ली में रहता हूँ।",
        ),
        ("कृपया शर्मा जी को फोन करें", "शर्मा", "कृपया मुझे फोन करें"),
        ("山田太郎様へのお届け物です。", "山田太郎", "東京駅はどこですか。"),
        ("担当の佐々木さんに連絡してください", "佐々木", "担当部署に連絡してください"),
        ("王伟先生明天到北京。", "王伟", "我在北京路上走了很久。"),
        ("我叫李娜，今年三十岁。", "李娜", "客户服务中心在哪里？"),
        ("김민준 님께 전달해 주세요.", "김민준", "고객님께 전달해 주세요."),
        ("제 이름은 박서연입니다.", "박서연", "저는 학생입니다"),
    ],
)
def test_names_in_other_scripts_are_found_and_plain_text_is_not(
    detector: PiiDetector, text: str, name: str, clean: str
) -> None:
    assert (name, E.PERSON) in found(detector, text)
    assert found(detector, clean) == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "送付先は〒150-0002 東京都渋谷区渋谷2丁目21-1 です。",
            "〒150-0002 東京都渋谷区渋谷2丁目21-1",
        ),
        ("请寄到上海市浦东新区世纪大道100号。", "上海市浦东新区世纪大道100号"),
        (
            "주소는 서울특별시 강남구 테헤란로 152, 1203호입니다.",
            "서울특별시 강남구 테헤란로 152, 1203호",
        ),
        (
            "Адрес: 123456, г. Москва, ул. Тверская, д. 7, кв. 15.",
            "123456, г. Москва, ул. Тверская, д. 7, кв. 15",
        ),
        ("العنوان: شارع الملك فهد 123، الرياض 12271", "شارع الملك فهد 123، الرياض 12271"),
        ("הכתובת: רחוב הרצל 12, תל אביב", "רחוב הרצל 12, תל אביב"),
        ("पता: 221, गांधी मार्ग, जयपुर - 302001", "221, गांधी मार्ग, जयपुर - 302001"),
    ],
)
def test_addresses_in_other_scripts_are_found(
    detector: PiiDetector, text: str, address: str
) -> None:
    assert (address, E.ADDRESS) in found(detector, text)


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("Le contrat a été signé par Olivier de la Gay hier soir.", "Olivier de la Gay", E.PERSON),
        ("Olivier de la Gay a signé.", "Olivier de la Gay", E.PERSON),
        (
            "Send it to 1200 Main St Suite 300 Dallas TX 75201 please.",
            "1200 Main St Suite 300 Dallas TX 75201",
            E.ADDRESS,
        ),
        (
            "Deliver to Apt 4B, 221 Elm Street, Springfield, IL 62704.",
            "Apt 4B, 221 Elm Street, Springfield, IL 62704",
            E.ADDRESS,
        ),
        (
            "Write to Box 1234, 9 Harbour Rd, Sydney NSW 2000",
            "Box 1234, 9 Harbour Rd, Sydney NSW 2000",
            E.ADDRESS,
        ),
        (
            "Our office: 88 Rue de Rivoli, Bâtiment B, 75004 Paris.",
            "88 Rue de Rivoli, Bâtiment B, 75004 Paris",
            E.ADDRESS,
        ),
        (
            "Kantoor: Keizersgracht 123, 2e etage, 1015 CJ Amsterdam",
            "Keizersgracht 123, 2e etage, 1015 CJ Amsterdam",
            E.ADDRESS,
        ),
    ],
)
def test_names_and_addresses_are_masked_in_one_piece(
    detector: PiiDetector, text: str, value: str, kind: str
) -> None:
    assert (value, kind) in found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "I am writing a thesis on cyber bullying and revenge in schools.",
        "Bullying at work: how should HR respond?",
        "Why do people seek revenge after bullying? Outline a thesis.",
    ],
)
def test_plain_words_are_not_names(detector: PiiDetector, text: str) -> None:
    assert E.PERSON not in {kind for _, kind in found(detector, text)}
