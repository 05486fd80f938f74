"""OpenTelemetry traces of every trip (GenAI semantic conventions), exported over OTLP/HTTP."""
