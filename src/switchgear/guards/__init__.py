"""Privacy and safety guards: personal data, content moderation, prompt injection.

The pipeline needs only `Guards` (see `service`); the rest is exposed for tests and benches.
"""

from switchgear.guards.config import GuardPolicyConfig, GuardsConfig
from switchgear.guards.decision import Decision
from switchgear.guards.errors import GuardBlocked, GuardInputTooLarge, GuardUnavailable
from switchgear.guards.service import GuardOutcome, Guards, Judge

__all__ = [
    "Decision",
    "GuardBlocked",
    "GuardInputTooLarge",
    "GuardOutcome",
    "GuardPolicyConfig",
    "GuardUnavailable",
    "Guards",
    "GuardsConfig",
    "Judge",
]
