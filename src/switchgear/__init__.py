"""Switchgear: one OpenAI-compatible endpoint for local and external models."""

__version__ = "0.1.0"
