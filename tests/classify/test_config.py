"""A route's `classify:` is checked when the config loads: a mistake stops start-up with the
file, the line and the field, before any request is classified wrongly."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchgear.config import ConfigError, load_config

HEAD = "routes:\n  intents:\n    targets: [default]\n    classify:\n"
LABELS = (
    "      labels:\n"
    "        refund: {examples: [I want my money back]}\n"
    "        order_status: {description: Where an order is}\n"
)


def error_for(tmp_path: Path, classify: str) -> str:
    path = tmp_path / "switchgear.yaml"
    path.write_text(HEAD + classify)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value).removeprefix(str(path))


def test_a_valid_classify_section_loads(tmp_path: Path) -> None:
    path = tmp_path / "switchgear.yaml"
    path.write_text(HEAD + "      threshold: 0.4\n      fallback: other\n" + LABELS)
    classify = load_config(path).routes["intents"].classify
    assert classify is not None
    assert classify.choices() == ["refund", "order_status", "other"]


def test_a_threshold_on_a_generate_route_is_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, "      method: generate\n      threshold: 0.5\n" + LABELS)
    assert message.startswith(":6: routes.intents.classify.threshold: ")
    assert "no score" in message


def test_a_label_with_nothing_to_recognise_it_by_is_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, LABELS + "        shipping: {}\n")
    assert message.startswith(":8: routes.intents.classify.labels.shipping: ")
    assert "`description` or `examples`" in message


def test_an_empty_example_is_named_with_its_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, LABELS + "        shipping:\n          examples: [ok, '  ']\n")
    assert message.startswith(":9: routes.intents.classify.labels.shipping.examples[1]: ")


def test_one_label_without_a_fallback_is_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, "      labels:\n        refund: {description: Money back}\n")
    assert message.startswith(":5: routes.intents.classify.labels: needs at least two labels")


def test_multi_label_by_embedding_needs_a_threshold(tmp_path: Path) -> None:
    message = error_for(tmp_path, "      multi_label: true\n" + LABELS)
    assert message.startswith(":4: routes.intents.classify.threshold: ")


def test_a_label_name_with_spaces_is_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, LABELS + "        money back: {description: Refunds}\n")
    assert message.startswith(":8: routes.intents.classify.labels.money back: label name")


def test_an_unknown_method_lists_the_methods(tmp_path: Path) -> None:
    message = error_for(tmp_path, "      method: knn\n" + LABELS)
    assert message.startswith(":5: routes.intents.classify.method: Invalid enum value 'knn'")
    assert "embedding" in message and "generate" in message
