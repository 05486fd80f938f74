"""examples/sports-commentary: its README run as written against a real gateway: three
matches' event feeds streamed in, commentary per event tagged with its id, a garbled line
reported by number while the match goes on, a whole file at once coalesced, and highlights of
every match through the chat endpoint, each charged to its key's app."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.examples.blueprint import run_blueprint, table_rows


def commentated(output: str) -> tuple[list[str], int]:
    """The event ids the client printed commentary on, in order (those a commentary covered
    coalesced with others too: events sent live may still arrive while one is being written),
    and how many commentaries it printed."""
    ids: list[str] = []
    for line in output.splitlines():
        coalesced = re.match(r"^\(coalesced: (.*)\)$", line)
        if coalesced:
            ids += coalesced.group(1).split(", ")[:-1]  # the last tags the commentary
        tagged = re.match(r"^\[([a-z]{2}-\d\d)\] ", line)
        if tagged:
            ids.append(tagged.group(1))
    ended = re.findall(r"\((\d+ ms to first word|no words)\)$", output, flags=re.M)
    return ids, len(ended)


def test_three_matches_get_live_commentary_and_highlights(tmp_path: Path) -> None:
    run = run_blueprint("sports-commentary", tmp_path)

    football, football_count = commentated(run.output_of("python commentary.py football"))
    assert football == ["fb-01", "fb-02", "fb-03", "fb-04", "fb-05", "fb-06"]
    cricket, cricket_count = commentated(run.output_of("python commentary.py cricket"))
    assert cricket == ["ck-01", "ck-02", "ck-03", "ck-04", "ck-05"]

    basketball = run.output_of("python commentary.py basketball").splitlines()
    answered, basketball_count = commentated("\n".join(basketball))
    assert answered == ["bb-01", "bb-02", "bb-04", "bb-05"]
    garbled = [line for line in basketball if line.startswith("! ")]
    assert len(garbled) == 1 and garbled[0].startswith("! line 3: Line 3 is not JSON")
    assert basketball.index(garbled[0]) < next(
        i for i, line in enumerate(basketball) if "bb-04" in line
    )

    # The whole file at once: every event after the first waited and was coalesced.
    whole = [
        json.loads(line[6:])
        for line in run.output_of("curl -sN -T feeds/cricket.ndjson").splitlines()
        if line.startswith("data: {")
    ]
    done = [m for m in whole if m["type"] == "event_done"]
    covered = [event for m in done for event in m["events"]]
    assert covered == ["ck-01", "ck-02", "ck-03", "ck-04", "ck-05"]
    assert len(done) < 5 and any(m["type"] == "coalesced" for m in whole)

    highlights = run.output_of("python highlights.py").splitlines()
    assert [line.split(":")[0] for line in highlights] == ["basketball", "cricket", "football"]
    assert all(line.split(": ", 1)[1].strip() for line in highlights)

    apps = {row["app"]: row for row in table_rows(run.output_of("switchgear usage"))}
    # One ledger row per commentary (the live ones, then the coalesced run), one per highlight.
    live = football_count + cricket_count + basketball_count
    assert int(apps["live-commentary"]["requests"]) == live + len(done)
    assert apps["highlights"]["requests"] == "3"
    print(f"commentary.py football took {run.seconds_of('commentary.py football'):.2f} s")
