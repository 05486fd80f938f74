"""`POST /v1/embeddings` as a routed kind: the names a request may send (the built-in
embedders and upstream embedding models), resolved through the router with its failover.
Apart from knowledge/, which only embeds documents and queries with its configured model."""
