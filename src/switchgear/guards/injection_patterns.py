"""Hand-written prompt-injection patterns in English, Spanish, French, German, Italian,
Portuguese and Dutch: instruction override, prompt extraction, role hijack, fake authority,
and weaker topic words that only count together with another group."""

from __future__ import annotations

import re

# fmt: off
_OVERRIDE = [
    r"(?:ignore|disregard|forget|skip|override|bypass|set aside|drop|abandon)\b.{0,30}"
    r"\b(?:previous|prior|above|earlier|all|your|the|any|these|those|initial|original|system)\b"
    r".{0,25}\b(?:instructions?|rules?|guidelines?|directives?|prompts?|training|programming"
    r"|restrictions?|constraints?|polic(?:y|ies)|filters?|safeguards?|guardrails?)",
    r"ignor[ae]\w*\b.{0,30}\b(?:instrucciones|reglas|indicaciones)", r"olvida\w*\b.{0,30}\b"
    r"(?:instrucciones|reglas)", r"ignor\w*\b.{0,30}\b(?:instructions|consignes|règles)",
    r"oublie\w*\b.{0,30}\b(?:instructions|consignes|règles)",
    r"ignorier\w*\b.{0,30}\b(?:anweisungen|regeln|vorgaben|instruktionen)",
    r"vergiss\w*\b.{0,30}\b(?:anweisungen|regeln|vorgaben)",
    r"ignora\w*\b.{0,30}\b(?:istruzioni|regole)",
    r"dimentica\w*\b.{0,30}\b(?:istruzioni|regole)",
    r"ignor[ae]\w*\b.{0,30}\b(?:instruções|regras)",
    r"esque[çc]a\w*\b.{0,30}\b(?:instruções|regras)",
    r"negeer\w*\b.{0,30}\b(?:instructies|regels)", r"vergeet\w*\b.{0,30}\b(?:instructies|regels)",
    r"umgeh\w*\b.{0,30}\b(?:regeln|filter|protokoll|richtlinien)",
    r"new (?:instructions|rules|directives?)\s*:", r"from now on,? you (?:will|are|must)",
    r"a partir de ahora,? (?:eres|serás|debes)", r"à partir de maintenant,? tu (?:es|seras|dois)",
    r"ab (?:jetzt|sofort) bist du", r"d'ora in poi,? (?:sei|devi)",
    r"a partir de agora,? (?:você|tu)",
    r"vanaf nu ben je",
]
_EXTRACT = [
    r"(?:reveal|show|print|display|output|repeat|tell me|give me|share|leak|dump|recite)\b.{0,30}"
    r"\b(?:system|hidden|initial|original|secret|internal|developer)\s+(?:prompt|instructions?"
    r"|message|configuration|guidelines|rules)",
    r"(?:what|which) (?:is|are|was|were) your (?:system |initial |original |hidden )?"
    r"(?:prompt|instructions|guidelines|rules|configuration)",
    r"(?:muestra|revela|dime)\w*\b.{0,30}\b(?:prompt|instrucciones)"
    r" (?:del sistema|iniciales|ocultas)",
    r"(?:montre|révèle|affiche)\w*\b.{0,30}\b(?:prompt|instructions) (?:système|initiales|cachées)",
    r"(?:zeig|verrat|gib)\w*\b.{0,30}\b(?:system-?prompt|systemanweisungen|anweisungen)",
    r"(?:mostra|rivela)\w*\b.{0,30}\b(?:prompt|istruzioni) (?:di sistema|iniziali|nascoste)",
    r"(?:mostre|revele|mostra)\w*\b.{0,30}\b(?:prompt|instruções) (?:do sistema|iniciais)",
    r"(?:toon|laat)\w*\b.{0,30}\b(?:systeemprompt|instructies)",
    r"\bsystem ?prompt\b.{0,40}\b(?:is|says|verbatim|word for word|above|in full)\b",
]
_ROLE = [
    r"\b(?:you are|you're|act as|pretend (?:to be|you are)|roleplay as|behave like)\b.{0,40}"
    r"\b(?:dan|jailbr(?:eak|oken)|unrestricted|unfiltered|uncensored|evil|no (?:rules|limits|"
    r"restrictions|filters)|without (?:rules|limits|restrictions|filters|ethics))",
    r"\bdo anything now\b", r"\b(?:developer|god) mode (?:enabled|activated|on)\b",
    r"(?:sin|sans|ohne|senza|sem|zonder) (?:restricciones|restrictions|"
    r"einschränkungen|restrizioni|restrições|beperkingen|filtros?|filtres?|filter)",
    r"(?:eres|tu es|du bist|sei|você é|je bent) (?:ahora )?(?:un|une|ein|uno|um|een)? ?"
    r"(?:ia|ai|ki|assistente?)? ?(?:sin|sans|ohne|senza|sem|zonder) ",
]
_AUTHORITY = [
    r"\b(?:i am|i'm|this is) (?:your|the|an?) (?:developer|admin(?:istrator)?|creator|owner|"
    r"openai|anthropic|system administrator)\b", r"\badmin(?:istrator)? override",
    r"<\|?(?:system|im_start|endoftext)\|?>", r"\[(?:system|inst)\]",
    r"###\s*(?:system|instruction)",
    r"\bBEGIN (?:SYSTEM|ADMIN) (?:PROMPT|MESSAGE)\b",
]
_INDIRECT = [  # instructions aimed at an assistant, hidden in documents or tool output
    r"\b(?:ai|assistant|chatbot|llm|model)s?\b.{0,20}\b(?:must|should|need to|are instructed to)"
    r"\b.{0,40}\b(?:ignore|send|forward|email|exfiltrate|reveal|include|visit|click)",
    r"(?:send|forward|email|post|upload|exfiltrate)\b.{0,40}\b(?:api keys?|passwords?|credentials|"
    r"secrets?|tokens?|\.env|conversation|chat history)\b.{0,40}\b(?:to|at)\b",
    r"!\[[^\]]*\]\(https?://[^)]*\?[^)]*=", r"when (?:the )?(?:ai|assistant|model) reads this",
]
# Topic words: an attack talks about them, and so does a security question. Alone they stay
# under 0.5; with another group they add up (noisy-or).
_MENTIONS = [
    r"\bsystem ?prompt", r"prompt (?:del sistema|système|di sistema|do sistema)", r"systeemprompt",
    r"\bjailbr(?:eak|oken)\w*", r"\bDAN\b", r"\b(?:developer|god|debug|maintenance) mode\b",
    r"\b(?:sudo|root|admin(?:istrator)?) (?:mode|access)\b", r"\bnew task\s*:",
]
# fmt: on

_GROUPS: list[tuple[float, re.Pattern[str]]] = [
    (0.8, re.compile("|".join(_OVERRIDE), re.IGNORECASE | re.DOTALL)),
    (0.7, re.compile("|".join(_EXTRACT), re.IGNORECASE | re.DOTALL)),
    (0.6, re.compile("|".join(_ROLE), re.IGNORECASE | re.DOTALL)),
    (0.5, re.compile("|".join(_AUTHORITY), re.IGNORECASE | re.DOTALL)),
    (0.7, re.compile("|".join(_INDIRECT), re.IGNORECASE | re.DOTALL)),
    (0.3, re.compile("|".join(_MENTIONS), re.IGNORECASE | re.DOTALL)),
]


def pattern_score(text: str) -> float:
    """Noisy-or of the pattern groups that match the text. Encoded and spaced-out variants are
    decoded before this is called (`injection_decode`)."""
    miss = 1.0
    for weight, pattern in _GROUPS:
        if pattern.search(text):
            miss *= 1.0 - weight
    return 1.0 - miss
