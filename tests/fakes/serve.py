"""Serve a fake upstream on a loopback port for the length of a `with` block."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0


@contextmanager
def run_fake(app: ASGIApp) -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:PORT``) of `app` served by uvicorn in a thread.

    Port 0 lets the OS pick a free port, so tests can run in parallel. Signal handlers are
    left alone: uvicorn only installs them on the main thread, and this server never runs there.
    """
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        loop="asyncio",
        lifespan="off",
        access_log=False,
        # None keeps uvicorn from reconfiguring the test process's logging on every start.
        log_config=None,
        # A request still hanging at exit is cancelled after this many seconds.
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fake-upstream", daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("fake upstream did not start")
        time.sleep(0.01)
    port = int(server.servers[0].sockets[0].getsockname()[1])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(_STOP_TIMEOUT)


def closed_port_url() -> str:
    """A loopback URL where nothing listens, for the ``refuse`` case (connection refused).

    The port was free a moment ago; another process could take it in between, which on a
    test machine is rare enough to accept.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return f"http://127.0.0.1:{port}"


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.fakes.serve openai|anthropic --port P`: one fake in the foreground.

    The examples' READMEs start it where a provider's key is missing. Each request it receives
    is printed as one JSON line, so a reader can see what the provider would have been sent.
    """
    import argparse
    import json

    from .anthropic_server import create_anthropic_fake
    from .behaviour import FakeBehaviour, RecordedRequest
    from .openai_server import DEFAULT_MODELS, create_openai_fake

    parser = argparse.ArgumentParser(prog="python -m tests.fakes.serve")
    parser.add_argument("provider", choices=["openai", "anthropic"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", default="test-key", help="the key it accepts")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="openai: model ids")
    args = parser.parse_args(argv)

    class Printed(FakeBehaviour):
        def record(self, request: RecordedRequest) -> None:
            super().record(request)
            print(json.dumps({"path": request["path"], "body": request["json"]}), flush=True)

    behaviour = Printed(api_key=args.api_key)
    app = (
        create_openai_fake(behaviour, models=args.models.split(","))
        if args.provider == "openai"
        else create_anthropic_fake(behaviour)
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
