"""Governance: keys, limits, budgets, prices and the model registry's policies."""
