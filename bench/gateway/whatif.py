"""Runs `switchgear serve` with candidate hot-path fixes patched in at start-up, so their
saving can be measured in the real pipeline before anyone edits src/ (bench only; nothing here
is how the fix should be written).

    .venv/bin/python bench/gateway/whatif.py --patches aiohttp -- \
        serve --config switchgear.yaml --port 8080

Patches:
  aiohttp      upstream POSTs through one aiohttp ClientSession instead of httpx.AsyncClient
               (aiohttp comes from the stack venv that bench/gateway/stack.py makes)
  ledger_async resolve the ledger future without waiting for the commit (what "reply before
               the commit" would save; it drops the durability promise, so measure only)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

STACK_SITE = Path.home() / ".cache" / "switchgear-bench" / "stack" / "lib"


def patch_aiohttp() -> None:
    for site in sorted(STACK_SITE.glob("python3*/site-packages")):
        sys.path.append(str(site))  # after .venv's own packages, so those win
    import aiohttp

    from switchgear.providers import sse_client
    from switchgear.providers.http_errors import secrets_of, stream_broken
    from switchgear.schema.errors import UpstreamError

    def open_(self: Any, headers: dict[str, str], key: str | None) -> None:
        self.secrets = secrets_of(key, self.settings.headers)
        self._headers = headers
        self._client = None  # made lazily inside the running loop
        self._opened = True

    def session(self: Any) -> aiohttp.ClientSession:
        if self._client is None:
            connector = aiohttp.TCPConnector(limit=self.settings.max_concurrency)
            timeout = aiohttp.ClientTimeout(
                sock_read=self.settings.timeout_s, sock_connect=self.settings.connect_timeout_s
            )
            self._client = aiohttp.ClientSession(
                connector=connector, headers=self._headers, timeout=timeout
            )
        return self._client

    async def close(self: Any) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def is_open(self: Any) -> bool:
        return bool(getattr(self, "_opened", False))

    def post(self: Any, url: str, body: bytes) -> AsyncGenerator[Any, None]:
        return events(session(self), url, body, self.name)

    async def events(
        client: aiohttp.ClientSession, url: str, body: bytes, provider: str
    ) -> AsyncGenerator[Any, None]:
        try:
            async with client.post(url, data=body) as response:
                if response.status >= 400:
                    text = await response.text()
                    raise UpstreamError(
                        f"`{provider}` answered {response.status}: {text[:200]}",
                        retryable=response.status >= 500 or response.status == 429,
                        status=502,
                    )
                async for event in sse_client.iter_events(response.content.iter_any()):
                    yield event
        except aiohttp.ClientError as error:
            raise stream_broken(provider, str(error)) from error

    cls = sse_client.UpstreamClient
    cls.open = open_  # type: ignore[method-assign]
    cls.close = close  # type: ignore[method-assign]
    cls.is_open = is_open  # type: ignore[method-assign]
    cls.post = post  # type: ignore[method-assign]


def patch_ledger_async() -> None:
    from concurrent.futures import Future

    from switchgear.ledger import writer

    original = writer.LedgerWriter.record

    def record(self: Any, entry: Any) -> Future[None]:
        original(self, entry)
        done: Future[None] = Future()
        done.set_result(None)
        return done

    writer.LedgerWriter.record = record  # type: ignore[method-assign]


PATCHES = {
    "aiohttp": patch_aiohttp,
    "ledger_async": patch_ledger_async,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patches", default="aiohttp")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    for name in [p for p in args.patches.split(",") if p]:
        PATCHES[name]()
    from switchgear.cli import main as cli_main

    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    return cli_main(rest)


if __name__ == "__main__":
    sys.exit(main())
