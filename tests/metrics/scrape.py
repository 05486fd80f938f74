"""Reads a gateway's `/metrics` as Prometheus does, with the official text parser."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(base_url: str) -> Samples:
    """Every sample by (name, labels); a series that does not exist reads as absent."""
    response = httpx.get(f"{base_url}/metrics", timeout=30)
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def label_values(samples: Samples, name: str, label: str) -> set[str]:
    """Every value `label` takes in the series of `name`."""
    return {
        dict(labels)[label]
        for sample, labels in samples
        if sample == name and label in dict(labels)
    }
