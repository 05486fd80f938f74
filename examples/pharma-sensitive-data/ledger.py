"""What the ledger kept about each request to `work`: where it went and the guard's decision
(entity types and counts, never the values)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

db = Path(os.environ["SWITCHGEAR_DATA_DIR"]) / "switchgear.db"
with sqlite3.connect(db) as ledger:
    rows = ledger.execute(
        "SELECT target, guard FROM usage WHERE route = 'work' ORDER BY created_at"
    ).fetchall()
for target, guard in rows:
    print(f"{target}: {guard or '-'}")
