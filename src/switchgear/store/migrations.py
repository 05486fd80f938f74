"""The usage/audit store's migrations, one list for SQLite and Postgres alike (see `migrate`).

The SQL sticks to what both accept (TEXT, BIGINT, DOUBLE PRECISION). Never edit a migration
that has shipped; add the next one.
"""

from __future__ import annotations

from switchgear.store.migrate import Migration, sql_migration

M001_TABLES = [
    """
    CREATE TABLE usage (
        request_id TEXT PRIMARY KEY,
        created_at DOUBLE PRECISION NOT NULL,
        endpoint TEXT NOT NULL,
        model TEXT NOT NULL,
        served_model TEXT,
        provider TEXT,
        stream INTEGER NOT NULL,
        status TEXT NOT NULL,
        http_status INTEGER NOT NULL,
        error_code TEXT,
        prompt_tokens BIGINT NOT NULL,
        completion_tokens BIGINT NOT NULL,
        latency_ms DOUBLE PRECISION NOT NULL,
        ttft_ms DOUBLE PRECISION,
        "user" TEXT,
        route TEXT,
        target TEXT,
        key_id TEXT,
        team TEXT,
        app TEXT,
        cost DOUBLE PRECISION NOT NULL DEFAULT 0,
        guard TEXT
    )
    """,
    "CREATE INDEX usage_created_at ON usage (created_at)",
    """
    CREATE TABLE attempts (
        request_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        target TEXT NOT NULL,
        status TEXT NOT NULL,
        http_status INTEGER NOT NULL,
        error_code TEXT,
        latency_ms DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (request_id, attempt)
    )
    """,
    """
    CREATE TABLE audit (
        seq BIGINT PRIMARY KEY,
        created_at DOUBLE PRECISION NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )
    """,
    "CREATE TABLE audit_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)",
    "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '')",
    """
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        prefix TEXT NOT NULL,
        secret_hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        team TEXT,
        app TEXT,
        allowed_models TEXT NOT NULL,
        guard_policy TEXT,
        tags TEXT NOT NULL,
        expires_at DOUBLE PRECISION,
        metadata TEXT NOT NULL,
        limits TEXT NOT NULL,
        budgets TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        revoked_at DOUBLE PRECISION
    )
    """,
]

# Named secrets the gateway generates once and every replica shares (the key of the hash
# that stands in for caller identifiers).
_M002_SECRETS = [
    "CREATE TABLE gateway_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
]

# Responses API state (`store: true`): what `previous_response_id` continues from. Kept apart
# from the ledger, which never holds request text; rows go when `expires_at` passes.
_M003_RESPONSES = [
    """
    CREATE TABLE stored_responses (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        previous_id TEXT,
        input_items TEXT NOT NULL,
        body TEXT NOT NULL
    )
    """,
    "CREATE INDEX stored_responses_expires_at ON stored_responses (expires_at)",
]

# Prompt templates (templates/): every version of every template, and which one each usage
# row used (`name@version`).
_M004_TEMPLATES = [
    """
    CREATE TABLE prompt_templates (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        source TEXT NOT NULL,
        digest TEXT NOT NULL,
        content TEXT NOT NULL,
        PRIMARY KEY (name, version)
    )
    """,
    "ALTER TABLE usage ADD COLUMN template TEXT",
]

# Request and answer text of the routes whose retention policy is `store: full`, apart from
# the ledger; `switchgear purge` deletes a row once `expires_at` has passed.
_M005_CONTENT = [
    """
    CREATE TABLE stored_content (
        request_id TEXT PRIMARY KEY,
        created_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        route TEXT NOT NULL,
        request TEXT NOT NULL,
        answer TEXT NOT NULL
    )
    """,
    "CREATE INDEX stored_content_expires_at ON stored_content (expires_at)",
    "CREATE INDEX usage_route_created_at ON usage (route, created_at)",
]

# The Files and Batch APIs (batch/): uploaded files (their content on disk), each batch, and
# each of its lines with its result once answered (a line is answered exactly once).
_M006_BATCHES = [
    """
    CREATE TABLE files (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        purpose TEXT NOT NULL,
        filename TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL
    )
    """,
    "CREATE INDEX files_owner ON files (owner, created_at)",
    """
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        status TEXT NOT NULL,
        body TEXT NOT NULL
    )
    """,
    "CREATE INDEX batches_owner ON batches (owner, created_at)",
    "CREATE INDEX batches_status ON batches (status)",
    """
    CREATE TABLE batch_lines (
        batch_id TEXT NOT NULL,
        line_no BIGINT NOT NULL,
        custom_id TEXT NOT NULL,
        request TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT,
        PRIMARY KEY (batch_id, line_no)
    )
    """,
    "CREATE INDEX batch_lines_pending ON batch_lines (batch_id, status, line_no)",
]

# The response cache (cache/): answers kept per route and key or team, with an expiry.
_M007_CACHE = [
    """
    CREATE TABLE response_cache (
        partition_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        route TEXT NOT NULL,
        context_hash TEXT,
        vector TEXT,
        answer TEXT NOT NULL,
        target TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (partition_key, request_hash)
    )
    """,
    "CREATE INDEX response_cache_context ON response_cache (partition_key, context_hash)",
    "CREATE INDEX response_cache_route ON response_cache (route, created_at)",
    "CREATE INDEX response_cache_expires ON response_cache (expires_at)",
]

MIGRATIONS: list[Migration] = [
    sql_migration("ledger.m001_tables", *M001_TABLES),
    sql_migration("ledger.m002_gateway_secrets", *_M002_SECRETS),
    sql_migration("ledger.m003_stored_responses", *_M003_RESPONSES),
    sql_migration("ledger.m004_prompt_templates", *_M004_TEMPLATES),
    sql_migration("ledger.m005_stored_content", *_M005_CONTENT),
    sql_migration("ledger.m006_batches", *_M006_BATCHES),
    sql_migration("ledger.m007_response_cache", *_M007_CACHE),
    # The operator console (console/): its users (scrypt hashes), sessions (hashed ids) and
    # hourly usage rollups for the overview, filled in audit order up to `console_rollup_head`.
    sql_migration(
        "ledger.m008_console_users",
        "CREATE TABLE console_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, "
        "salt TEXT NOT NULL, password_hash TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)",
        "CREATE TABLE console_sessions (id_hash TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "role TEXT NOT NULL, csrf TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, "
        "expires_at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX console_sessions_expires ON console_sessions (expires_at)",
        "CREATE TABLE console_rollup (bucket DOUBLE PRECISION NOT NULL, model TEXT NOT NULL, "
        "route TEXT NOT NULL, team TEXT NOT NULL, app TEXT NOT NULL, requests BIGINT NOT NULL, "
        "errors BIGINT NOT NULL, prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT "
        "NULL, cost DOUBLE PRECISION NOT NULL, latency_sum DOUBLE PRECISION NOT NULL, "
        "ttft_sum DOUBLE PRECISION NOT NULL, ttft_count BIGINT NOT NULL, "
        + ", ".join(f"h{n} BIGINT NOT NULL" for n in range(25))  # latency histogram bins
        + ", PRIMARY KEY (bucket, model, route, team, app))",
        "CREATE TABLE console_rollup_guards (bucket DOUBLE PRECISION NOT NULL, guard TEXT NOT "
        "NULL, action TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (bucket, guard, action))",
        "CREATE TABLE console_rollup_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL)",
        "INSERT INTO console_rollup_head VALUES (1, 0)",
        # The audit page filters by exact action or actor, newest first, one page at a time.
        "CREATE INDEX audit_action_seq ON audit (action, seq)",
        "CREATE INDEX audit_actor_seq ON audit (actor, seq)",
    ),
]
