"""The built-in guards, registered through the same hooks a third-party plugin uses:
the exact PII recognisers and the moderation backends (`local` = `lexicon`, `classifier`,
`llama_guard`, `openai_compat`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from switchgear.guards import entities as E
from switchgear.guards.moderation.base import Moderator
from switchgear.plugins import ModerationKind, PiiRecognizer, hookimpl


@hookimpl
def register_pii_recognizers(register: Callable[[PiiRecognizer], None]) -> None:
    from switchgear.guards import context_recognizers as C
    from switchgear.guards import (
        credentials,
        phones,
        pii_script_addresses,
        recognizers,
        script_names,
    )
    from switchgear.guards.pii import secret_assignment_spans

    register(PiiRecognizer("email", (E.EMAIL,), recognizers.emails))
    register(PiiRecognizer("cued_name", (E.PERSON,), C.cued_names))
    register(PiiRecognizer("script_name", (E.PERSON,), script_names.introduced_names))
    register(PiiRecognizer("private_key", (E.SECRET,), credentials.private_keys))
    register(PiiRecognizer("secret_assignment", (E.SECRET,), secret_assignment_spans))
    near_digits: list[tuple[str, tuple[str, ...], Any]] = [
        ("ip_address", (E.IP_ADDRESS,), recognizers.ip_addresses),
        ("credit_card", (E.CREDIT_CARD,), recognizers.credit_cards),
        ("iban", (E.IBAN,), recognizers.ibans),
        ("national_id", E.NATIONAL_IDS, recognizers.national_ids),
        ("phone", (E.PHONE,), recognizers.phones),
        ("passport", (E.PASSPORT,), C.passports),
        ("date_of_birth", (E.DATE_OF_BIRTH,), C.dates_of_birth),
        ("medical_record", (E.MEDICAL_RECORD,), C.medical_records),
        ("introduced_id", (E.NL_BSN, E.DE_STEUER_ID, E.US_SSN, E.PHONE), C.introduced_ids),
        ("cued_phone", (E.PHONE,), phones.cued_phones),
        ("po_box", (E.ADDRESS,), C.po_boxes),
        ("script_address", (E.ADDRESS,), pii_script_addresses.script_addresses),
        ("secret_token", (E.SECRET,), credentials.secret_tokens),
    ]
    for name, types, find in near_digits:
        register(PiiRecognizer(name, types, find, scope="digits"))


def _local(name: str, config: Any, judge: Callable[[str], Awaitable[str]] | None) -> Moderator:
    from switchgear.guards.moderation.local import LocalModerator

    return LocalModerator()


def _classifier(name: str, config: Any, judge: Callable[[str], Awaitable[str]] | None) -> Moderator:
    # Not the default yet: it flags prevention and safety questions (bench/RESULTS.md, issue 11).
    from switchgear.guards.moderation.classifier import classifier_from_options

    return classifier_from_options(name, config.options)


def _openai_compat(
    name: str, config: Any, judge: Callable[[str], Awaitable[str]] | None
) -> Moderator:
    from switchgear.guards.moderation.openai_compat import OpenAICompatModerator

    if not config.base_url:
        raise ValueError(f"moderation backend `{name}`: openai_compat needs `base_url`")
    return OpenAICompatModerator(
        config.base_url,
        api_key_env=config.api_key_env,
        model=config.model,
        timeout_s=config.timeout_s,
    )


def _llama_guard(
    name: str, config: Any, judge: Callable[[str], Awaitable[str]] | None
) -> Moderator:
    from switchgear.guards.errors import GuardUnavailable
    from switchgear.guards.moderation.llama_guard import LlamaGuardModerator

    if judge is None:
        raise GuardUnavailable(f"moderation backend `{name}` has no judge bound", guard=name)
    return LlamaGuardModerator(
        judge, special_tokens=config.special_tokens, route=config.route or name
    )


@hookimpl
def register_moderation_backends(register: Callable[[ModerationKind], None]) -> None:
    register(ModerationKind("local", _local))
    register(ModerationKind("lexicon", _local))
    register(ModerationKind("classifier", _classifier))
    register(ModerationKind("openai_compat", _openai_compat))
    register(ModerationKind("llama_guard", _llama_guard))
