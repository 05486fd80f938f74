"""MCP: the gateway serves the Model Context Protocol at `/mcp` and aggregates the tools of the
MCP servers named in the config, namespaced by server. Every `tools/list` and `tools/call` is
one trip through the pipeline (auth, guards, ledger), answered by the service in `service`.

This package's top level stays light: the MCP SDK is imported only by the modules that talk
to a server (`upstream`) or serve the door (`api/mcp_routes.py`), and only when configured.
"""
