"""Response-cache entries in Redis (exact) and pgvector (semantic), the backends replicas
share: real Redis and real Postgres with pgvector, directly and through two gateways."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import psycopg
import pytest
import redis

from switchgear.cache.backends import LayeredCache, open_cache
from switchgear.cache.config import CacheBackendsConfig
from switchgear.cache.pgvector_semantic import PgvectorSemanticCache
from switchgear.cache.redis_exact import RedisExactCache
from switchgear.cache.sqlite_vec_semantic import SqliteVecSemanticCache
from switchgear.cache.store import CachedAnswer, CacheStore
from switchgear.store.postgres import open_postgres_store
from switchgear.store.sql import SqlStore
from switchgear.store.sqlite import open_sqlite_store
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import TEST_ADMIN_KEY, GatewayProcess
from tests.services import redis_server


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def _new_database(postgres_uri: str) -> str:
    name = f"cache_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_uri, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return postgres_uri.replace("/postgres?", f"/{name}?", 1)


@pytest.fixture()
def pg_store(postgres_uri: str) -> Iterator[SqlStore]:
    store = open_postgres_store(_new_database(postgres_uri))
    yield store
    store.close()


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=384).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _answer(text: str) -> CachedAnswer:
    return CachedAnswer(text.encode(), "gpt-fake@api", time.time())


def test_auto_takes_redis_and_pgvector_and_keeps_partitions_apart(
    pg_store: SqlStore, redis_url: str, tmp_path: Path
) -> None:
    cache = open_cache(CacheBackendsConfig(), pg_store, redis_url, tmp_path)
    assert isinstance(cache, LayeredCache)
    assert isinstance(cache.exact_backend, RedisExactCache)
    assert isinstance(cache.semantic_backend, PgvectorSemanticCache)
    vector = _unit(1)
    cache.put("faq\x1fkey:a", "h1", "ctx", vector, _answer('["one"]'), 600, "faq", 100)

    found = cache.exact("faq\x1fkey:a", "h1", 0.0)
    assert found is not None and found.answer == b'["one"]'
    assert cache.exact("faq\x1fkey:b", "h1", 0.0) is None  # another key never sees it
    near = cache.nearest("faq\x1fkey:a", "ctx", vector, 0.0)
    assert near is not None and near[0] > 0.999 and near[1].answer == b'["one"]'
    far = cache.nearest("faq\x1fkey:a", "ctx", _unit(2), 0.0)
    assert far is not None and far[0] < 0.3  # a random direction is not a paraphrase
    assert cache.nearest("faq\x1fkey:b", "ctx", vector, 0.0) is None
    assert cache.nearest("faq\x1fkey:a", "other conversation", vector, 0.0) is None
    # max-age: an entry older than the client accepts is not served.
    assert cache.exact("faq\x1fkey:a", "h1", time.time() + 1) is None

    # Nothing of it went to the store's own table: replicas share it through Redis/pgvector.
    plain = CacheStore(pg_store)
    assert plain.exact("faq\x1fkey:a", "h1", 0.0) is None


def test_one_machine_takes_sqlite_vec_for_semantic_entries(tmp_path: Path) -> None:
    store = open_sqlite_store(tmp_path / "switchgear.db")
    cache = open_cache(CacheBackendsConfig(), store, None, tmp_path)
    assert isinstance(cache, LayeredCache)
    assert isinstance(cache.semantic_backend, SqliteVecSemanticCache)
    for n in range(4):
        cache.put("p", f"h{n}", "ctx", _unit(20 + n), _answer(f'["{n}"]'), 600, "r", 3)
        time.sleep(0.01)
    near = cache.nearest("p", "ctx", _unit(22), 0.0)
    assert near is not None and near[0] > 0.999 and near[1].answer == b'["2"]'
    dropped = cache.nearest("p", "ctx", _unit(20), 0.0)  # the oldest went past max_entries
    assert dropped is not None and dropped[0] < 0.5
    assert cache.nearest("q", "ctx", _unit(22), 0.0) is None
    exact = cache.exact("p", "h3", 0.0)
    assert exact is not None and exact.answer == b'["3"]'
    assert (tmp_path / "response_cache.db").exists()
    # `store` keeps the old single-table behaviour.
    assert isinstance(
        open_cache(CacheBackendsConfig(semantic="store"), store, None, tmp_path), CacheStore
    )
    store.close()


def test_redis_entries_expire_and_the_route_keeps_its_newest(redis_url: str) -> None:
    cache = RedisExactCache(redis_url)
    client = redis.Redis.from_url(redis_url)
    route = f"bound-{uuid.uuid4().hex[:6]}"
    for n in range(5):
        cache.put("p", f"{route}-{n}", _answer(f'["{n}"]'), 600, route, 3)
    kept = [n for n in range(5) if cache.exact("p", f"{route}-{n}", 0.0) is not None]
    assert kept == [2, 3, 4]
    cache.put("p", f"{route}-short", _answer('["x"]'), 0.3, route, 3)
    assert cache.exact("p", f"{route}-short", 0.0) is not None
    time.sleep(0.5)
    assert cache.exact("p", f"{route}-short", 0.0) is None
    # No identifier is readable in Redis: keys are hashes.
    assert all(b"key:" not in k and route.encode() not in k for k in client.keys("*"))


def test_pgvector_keeps_the_newest_entries_of_a_route(pg_store: SqlStore) -> None:
    cache = PgvectorSemanticCache(pg_store)
    for n in range(4):
        cache.put("p", f"h{n}", "ctx", _unit(10 + n), _answer(f'["{n}"]'), 600, "r", 2)
        time.sleep(0.01)
    assert cache.nearest("p", "ctx", _unit(10), 0.0) is not None
    best = cache.nearest("p", "ctx", _unit(10), 0.0)
    assert best is not None and best[0] < 0.5  # entry 0 was dropped by the size bound
    best = cache.nearest("p", "ctx", _unit(13), 0.0)
    assert best is not None and best[0] > 0.999


CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
routes:
  helpdesk: {{targets: [gpt-fake], cache: {{mode: semantic, threshold: 0.9}}}}
"""


def test_two_replicas_share_exact_and_semantic_hits(
    tmp_path: Path, postgres_uri: str, redis_url: str
) -> None:
    behaviour = FakeBehaviour(api_key="test-key")
    dsn = _new_database(postgres_uri)
    with run_fake(create_openai_fake(behaviour)) as url:
        config = tmp_path / "switchgear.yaml"
        config.write_text(CONFIG.format(url=url))
        env = {"FAKE_KEY": "test-key", "SWITCHGEAR_ADMIN_KEY": TEST_ADMIN_KEY,
               "SWITCHGEAR_DATABASE_URL": dsn, "SWITCHGEAR_REDIS_URL": redis_url}  # fmt: skip
        first = GatewayProcess(tmp_path / "a", config, env=env)
        second = GatewayProcess(tmp_path / "b", config, env=env)
        try:
            key = first.admin(TEST_ADMIN_KEY, "POST", "/keys", json={"name": "k"}).json()["key"]

            def ask(gateway: GatewayProcess, question: str) -> httpx.Response:
                body = {"model": "helpdesk", "messages": [{"role": "user", "content": question}]}
                deadline = time.monotonic() + 15  # the other replica learns new keys in seconds
                while True:
                    response = httpx.post(
                        f"{gateway.base_url}/v1/chat/completions", json=body, timeout=60,
                        headers={"authorization": f"Bearer {key}"},
                    )  # fmt: skip
                    if response.status_code != 401 or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                assert response.status_code == 200, response.text
                return response

            first_answer = ask(first, "What are the opening hours of the Berlin office?")
            assert first_answer.headers["x-switchgear-cache"] == "miss"
            again = ask(second, "What are the opening hours of the Berlin office?")
            assert again.headers["x-switchgear-cache"] == "hit"
            reworded = ask(second, "What are the opening hours of the Berlin office ?")
            assert reworded.headers["x-switchgear-cache"] == "hit"
            content = reworded.json()["choices"][0]["message"]["content"]
            assert content == first_answer.json()["choices"][0]["message"]["content"]
            assert len(behaviour.requests) == 1
        finally:
            first.stop()
            second.stop()
    with psycopg.connect(dsn) as db:
        rows = db.execute("SELECT count(*) FROM response_cache_vectors").fetchone()
        plain = db.execute("SELECT count(*) FROM response_cache").fetchone()
    assert rows is not None and rows[0] == 1
    assert plain is not None and plain[0] == 0
    assert redis.Redis.from_url(redis_url).keys("switchgear:cache:*")
