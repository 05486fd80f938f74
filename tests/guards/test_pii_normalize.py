"""Unicode normalisation before matching: invisible characters, compatibility forms and
look-alike letters cannot hide a value, and the masked span covers the original characters."""

# ruff: noqa: RUF001, RUF003  (look-alike and other-script letters are what is tested)

from __future__ import annotations

import asyncio

import msgspec
import pytest

from switchgear.guards import Guards, GuardsConfig
from switchgear.guards import entities as E
from switchgear.guards.normalize import normalize_mapped
from switchgear.guards.pii import PiiDetector
from switchgear.schema.requests import ChatCompletionRequest

ZWSP, RLM, SHY = "\u200b", "\u200f", "\u00ad"


def found(detector: PiiDetector, text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.type) for s in detector.scan(text).spans]


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        (f"Write to jo{ZWSP}hn@example.com today", f"jo{ZWSP}hn@example.com", E.EMAIL),
        (f"mail: jane{SHY}.doe@exam{RLM}ple.org", f"jane{SHY}.doe@exam{RLM}ple.org", E.EMAIL),
        (
            f"IBAN DE89 3704 0044{ZWSP} 0532 0130 00 please",
            f"DE89 3704 0044{ZWSP} 0532 0130 00",
            E.IBAN,
        ),
        ("card 4111\u2060 1111 1111 1111", "4111\u2060 1111 1111 1111", E.CREDIT_CARD),
        # Fullwidth letters (NFKC folds them).
        (
            "IBAN ＤＥ８９３７０４００４４０５３２０１３０００ bitte",
            "ＤＥ８９３７０４００４４０５３２０１３０００",
            E.IBAN,
        ),
        (
            "CF ＢＣＣＦＲＣ１５Ｍ２５Ｅ８５２Ｐ",
            "ＢＣＣＦＲＣ１５Ｍ２５Ｅ８５２Ｐ",
            E.IT_CODICE_FISCALE,
        ),
        # A Cyrillic "Е" inside a Latin-script value.
        ("IBAN D\u041589 3704 0044 0532 0130 00", "D\u041589 3704 0044 0532 0130 00", E.IBAN),
    ],
)
def test_hidden_characters_do_not_hide_a_value(
    detector: PiiDetector, text: str, value: str, kind: str
) -> None:
    assert (value, kind) in found(detector, text)


def test_offsets_map_back_to_the_original_text() -> None:
    text = f"a{ZWSP}b ｘ@ｙ.ｃｏ ﬁne"
    mapped = normalize_mapped(text)
    assert mapped.text == "ab x@y.co fine"
    at = mapped.text.index("x@y.co")
    span = mapped.span(E.Span(at, at + len("x@y.co"), E.EMAIL, 1.0, "pattern"))
    assert text[span.start : span.end] == "ｘ@ｙ.ｃｏ"
    # A ligature that NFKC expands maps back to the one original character.
    at = mapped.text.index("fine")
    span = mapped.span(E.Span(at, at + 4, E.PERSON, 1.0, "model"))
    assert text[span.start : span.end] == "ﬁne"


def test_russian_and_greek_words_are_not_folded_to_latin() -> None:
    assert normalize_mapped("Москва и Αθήνα").text == "Москва и Αθήνα"


def test_pseudonymised_prompt_loses_the_hidden_value_and_gets_it_back() -> None:
    config = msgspec.convert(
        {"default": "p", "policies": {"p": {"pii": {"action": "pseudonymize"}}}}, GuardsConfig
    )
    email = f"jo{ZWSP}hn@example.com"
    body = {"model": "m", "messages": [{"role": "user", "content": f"Mail {email} now."}]}
    request = msgspec.convert(body, ChatCompletionRequest)
    outcome = asyncio.run(Guards(config).screen_request(request, "p"))
    sent = outcome.request.messages[0].text()
    assert sent == "Mail <EMAIL_1> now."
    assert "jo" not in sent and ZWSP not in sent
    assert outcome.restorer is not None
    assert outcome.restorer.restore_text("Sent to <EMAIL_1>.") == f"Sent to {email}."
