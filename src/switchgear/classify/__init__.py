"""Classification as a route kind: a route with `classify:` sorts text into its labels at
`POST /v1/classifications`, by nearest label in the embedding space or by the route's model
choosing a label under a grammar (see `config.py`)."""
