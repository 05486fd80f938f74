"""Fake upstream servers (OpenAI, Azure OpenAI, Anthropic) for loopback tests of providers."""
