"""Persistence behind per-concern interfaces. SQLite is the embedded default."""
