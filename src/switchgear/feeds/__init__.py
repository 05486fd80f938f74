"""Event feeds: a client streams structured events (NDJSON) to `POST /v1/feeds/{route}` and
reads commentary back as they happen, one trip through the pipeline per commentary (see
`config.py` for the route's `feed:` section)."""
