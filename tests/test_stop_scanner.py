from __future__ import annotations

from switchgear.providers.stop_scanner import StopScanner


def feed_all(stops: list[str], pieces: list[str]) -> tuple[str, bool]:
    scanner = StopScanner(stops)
    out = ""
    for piece in pieces:
        out += scanner.feed(piece)
        if scanner.stopped:
            return out, True
    return out + scanner.flush(), False


def test_stop_split_across_pieces_is_never_emitted() -> None:
    assert feed_all(["END"], ["hello E", "N", "D more"]) == ("hello ", True)


def test_false_start_is_released() -> None:
    assert feed_all(["END"], ["an E", "ND", "x"]) == ("an ", True)
    assert feed_all(["END"], ["an E", "nd"]) == ("an End", False)


def test_earliest_of_several_stops_wins() -> None:
    assert feed_all(["world", "lo"], ["hello world"]) == ("hel", True)


def test_no_stops_passes_text_through() -> None:
    assert feed_all([], ["a", "b"]) == ("ab", False)
