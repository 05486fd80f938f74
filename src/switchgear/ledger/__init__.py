"""The ledger: usage (and later cost and audit), written off the request path."""
