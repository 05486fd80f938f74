"""Routing: which model (and later which of its targets) serves a request."""
