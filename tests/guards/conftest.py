from __future__ import annotations

import pytest

from switchgear.guards.pii import PiiDetector


@pytest.fixture(scope="session")
def detector() -> PiiDetector:
    """The shipped default: exact recognisers + the Rampart model, loaded once."""
    d = PiiDetector()
    d.load()
    return d
