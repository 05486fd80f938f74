"""HTTP surface only: translates HTTP to domain objects and back. No business logic here."""
