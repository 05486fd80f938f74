"""A real browser (headless Chromium) opens a page on another origin whose script tries to
take over the local gateway the ways a web page can: a no-cors `text/plain` POST, a JSON
fetch, a form post, an upload. None of them creates a key or adds a document."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.gateway_process import GatewayProcess, free_port

PAGE = """<!doctype html><html><body><pre id="log">started</pre>
<form id="f" method="POST" enctype="text/plain" target="sink" action="{gw}/admin/keys">
<input name='{{"name":"form","x":"' value='"}}'></form><iframe name="sink"></iframe>
<script>
const log = (m) => document.getElementById("log").textContent += "\\n" + m;
(async () => {{
  try {{ await fetch("{gw}/admin/keys", {{method: "POST", mode: "no-cors",
          headers: {{"content-type": "text/plain"}}, body: '{{"name":"nocors"}}'}});
        log("no-cors sent"); }} catch (e) {{ log("no-cors failed " + e); }}
  try {{ const r = await fetch("{gw}/admin/keys", {{method: "POST",
          headers: {{"content-type": "application/json"}}, body: '{{"name":"json"}}'}});
        log("json status " + r.status); }} catch (e) {{ log("json blocked"); }}
  try {{ const form = new FormData(); form.append("file", new Blob(["# planted"]), "x.md");
        await fetch("{gw}/admin/knowledge/collections/docs/documents",
                    {{method: "POST", mode: "no-cors", body: form}});
        log("upload sent"); }} catch (e) {{ log("upload failed " + e); }}
  document.getElementById("f").submit();
  log("form sent");
  setTimeout(() => log("done"), 1500);
}})();
</script></body></html>"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    process = GatewayProcess(tmp_path_factory.mktemp("browser"))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def attacker(gateway: GatewayProcess) -> Iterator[str]:
    """The attacking page, served from another origin (another port on loopback)."""
    page = PAGE.format(gw=gateway.base_url).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()


def test_a_page_on_another_origin_cannot_create_a_key(
    gateway: GatewayProcess, attacker: str
) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium is needed (.ci/run installs it)"
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=8000",
             "--dump-dom", attacker],
            capture_output=True, text=True, timeout=120,
        ).stdout  # fmt: skip
    assert "no-cors sent" in dom and "upload sent" in dom, dom  # the script did run
    assert "json status 201" not in dom
    keys = httpx.get(f"{gateway.base_url}/admin/keys", timeout=30).json()["data"]
    assert keys == []
    collections = httpx.get(f"{gateway.base_url}/admin/knowledge/collections", timeout=30)
    assert "docs" not in collections.text
    # And the gateway is still open to its own local callers.
    assert httpx.get(f"{gateway.base_url}/v1/models", timeout=30).status_code == 200
