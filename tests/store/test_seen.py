"""SeenIds: the ids a streamed import wrote, as sorted hashes, answer as a set would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opengap.store.seen import SeenIds

_IDS = st.lists(st.text(min_size=1, max_size=12), max_size=40)


@given(parts=st.lists(_IDS, max_size=6), asked=_IDS)
def test_seen_ids_answer_as_a_set_does(parts: list[list[str]], asked: list[str]) -> None:
    seen, truth = SeenIds(), set[str]()
    for part in parts:
        assert seen.contains(part) == [i in truth for i in part]
        seen.update(part)
        truth.update(part)
        assert len(seen) == len(truth) and bool(seen) == bool(truth)
    assert seen.contains(asked) == [i in truth for i in asked]
    assert all((i in seen) == (i in truth) for i in asked)


def test_a_million_ids_take_8_bytes_each() -> None:
    seen = SeenIds()
    ids = [f"model-{i}-of-a-large-report" for i in range(1_000_000)]
    for start in range(0, len(ids), 100_000):
        seen.update(ids[start : start + 100_000])
    assert len(seen) == 1_000_000
    assert seen._hashes.nbytes == 8_000_000
    assert seen.contains(["model-999999-of-a-large-report", "model-1000000-of-a-large-report"]) == [
        True, False,
    ]
