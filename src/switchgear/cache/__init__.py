"""The response cache: answers served again for the same request (exact) or a paraphrase of
it (semantic), per route, never across keys."""
