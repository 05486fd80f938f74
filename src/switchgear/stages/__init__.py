"""The pipeline's stages, one module per concern, each a thin adapter from a `Trip` to the
concern's own code (governance, guards, knowledge, routing, ledger). They are built from the
registry by name (`plugin` registers these), so a plugin's stage sits among them the same way.
"""
