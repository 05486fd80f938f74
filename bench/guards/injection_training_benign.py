"""Benign training prompts that use an attack's words for an ordinary job ("ignore the blank
lines", "act as a tutor", "how do I use sudo"), so the n-gram model learns that the verb alone
is not an injection. Built from slot templates with a fixed seed; used for training only.

Written after the first hard-benign measurement showed these families were the false positives
(bench/RESULTS.md says so); none of the evaluation sets' texts is used, and `train_injection`
drops any generated row that matches a held-out text.
"""

from __future__ import annotations

import random

# fmt: off
_VERBS = ["Ignore", "Please ignore", "Disregard", "Forget", "Skip", "You can skip", "Drop",
          "Don't worry about", "Never mind", "Overlook"]
_OBJECTS = ["the typo in my last message", "the blank lines in this file", "my previous email",
            "the header row", "the earlier draft", "the duplicate entries", "the warning on line 7",
            "the comments in the code", "the first column", "case when sorting",
            "the previous section of the tutorial", "the outliers above 3 sigma",
            "the formatting of the table", "the old address I gave you", "whitespace differences",
            "the deprecated options", "the last paragraph", "rows with missing values",
            "the noise in the recording", "my earlier question about taxes"]
_THEN = ["and summarise the rest.", "and continue with step 3.", "— the rest is correct.",
         "and compute the average.", "and translate the remaining text.", "then sort the list.",
         "and check the grammar.", "and give me the final total.", "", "please."]
_TASKS = ["Override the default {thing} so that {effect}.",
          "Bypass the {thing} when testing {effect}.",
          "Reveal the {thing} only after {effect}.", "Print the {thing} and then {effect}.",
          "Repeat the {thing} because {effect}.", "From now on, please {effect}.",
          "New task: {effect}.", "Show me the {thing} for {effect}.",
          "Reset the {thing} and {effect}."]
_THINGS = ["font size", "cache", "answer to the quiz", "first ten lines", "instructions for the "
           "recipe", "timeout setting", "log level", "theme colours", "shipping option",
           "config value", "spoiler", "summary"]
_EFFECTS = ["headings are larger", "the benchmark is fair", "I finish the puzzle",
            "stop there", "use metric units", "answer in shorter sentences",
            "sort these names alphabetically", "list three pros and cons", "the unit tests pass",
            "reply in Spanish", "check my homework", "the build uses the new compiler"]
_SECURITY = ["What is a {attack} and how do I protect {target} against it?",
             "Explain {attack} to a beginner, with a defensive example.",
             "Write a training slide about {attack} for our staff.",
             "Our audit found a risk of {attack} in {target}. What should we fix first?",
             "Summarise recent research on detecting {attack}.",
             "Is {target} vulnerable to {attack}? How would I test that safely?"]
_ATTACKS = ["prompt injection", "jailbreak prompts", "SQL injection", "cross-site scripting",
            "phishing", "system prompt leakage", "the DAN jailbreak", "privilege escalation",
            "indirect prompt injection through web pages", "command injection", "data exfiltration"]
_TARGETS = ["our chatbot", "a RAG pipeline", "my web app", "the support assistant",
            "an internal LLM tool", "our API", "a Django site", "the customer portal"]
_ROLES = ["Act as {persona} and {job}.", "Pretend you are {persona} and {job}.",
          "Roleplay as {persona}: {job}.", "Imagine you're {persona} and {job}.",
          "You are {persona} in my story; {job}.", "Play the part of {persona} and {job}."]
_PERSONAS = ["a friendly French tutor", "a grumpy pirate", "a museum guide", "a job interviewer",
             "a fitness coach", "a Victorian detective", "a travel agent", "a chess teacher",
             "a customer with a broken laptop", "a wise old wizard", "a news anchor"]
_JOBS = ["correct my sentences", "greet me in character", "ask me three questions",
         "describe your day", "plan a weekend trip", "explain photosynthesis",
         "give me feedback on my answer", "tell a short story for kids"]
_ADMIN = ["How do I {admin_task} on {system}?",
          "What's the safest way to {admin_task} on {system}?",
          "Give me the command to {admin_task} on {system}.",
          "Why does {admin_task} fail on {system}?"]
_ADMIN_TASKS = ["run a script as root", "use sudo without a password prompt",
                "grant admin access to a new user", "enable debug mode", "reset the root password",
                "disable the firewall for a test", "change file permissions to 755",
                "restart a service automatically", "see the system logs",
                "turn on maintenance mode",
                "override the default config", "remove old kernels"]
_SYSTEMS = ["Ubuntu", "Debian", "macOS", "Windows Server", "a Kubernetes cluster", "nginx",
            "PostgreSQL", "Django", "WordPress", "a Raspberry Pi"]
_OTHER_LANGUAGES = [
    "Ignora {o} y resume el resto.", "Olvida {o}, ya no es válido.", "Ignore {o}, s'il te plaît.",
    "Oublie {o} et continue.", "Ignoriere bitte {o}.", "Vergiss {o}, das ist veraltet.",
    "Ignora {o} e continua.", "Dimentica {o}.", "Ignore {o} e continue.", "Esqueça {o}.",
    "Negeer {o} en ga verder.", "Vergeet {o}.",
]
_OTHER_OBJECTS = ["la primera línea", "el error de ortografía", "la faute de frappe",
                  "le brouillon",
                  "die leeren Zeilen", "den alten Entwurf", "la riga vuota", "la bozza di ieri",
                  "a linha em branco", "o rascunho antigo", "de eerste kolom", "het oude concept"]
# fmt: on


def trigger_word_negatives(seed: int, count: int = 1500) -> list[str]:
    """`count` benign prompts drawn from the families above (fixed seed, deduplicated)."""
    rng = random.Random(seed)
    makers = [
        lambda: f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_THEN)}".strip(),
        lambda: rng.choice(_TASKS).format(thing=rng.choice(_THINGS), effect=rng.choice(_EFFECTS)),
        lambda: rng.choice(_SECURITY).format(
            attack=rng.choice(_ATTACKS), target=rng.choice(_TARGETS)
        ),
        lambda: rng.choice(_ROLES).format(persona=rng.choice(_PERSONAS), job=rng.choice(_JOBS)),
        lambda: rng.choice(_ADMIN).format(
            admin_task=rng.choice(_ADMIN_TASKS), system=rng.choice(_SYSTEMS)
        ),
        lambda: rng.choice(_OTHER_LANGUAGES).format(o=rng.choice(_OTHER_OBJECTS)),
    ]
    out: dict[str, None] = {}
    for _ in range(count * 3):
        if len(out) >= count:
            break
        out[rng.choice(makers)()] = None
    return list(out)
