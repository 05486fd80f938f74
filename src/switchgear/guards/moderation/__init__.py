"""Content moderation: a `Moderator` protocol and three backends (local lexicon, Llama Guard
judge over a configured route, an OpenAI-compatible /moderations endpoint)."""
