"""Lookups kept in memory follow every write of the data they come from (core.generations)."""

from govqms.core import generations
from tests.conftest import make_unit


def test_a_memo_recomputes_after_a_write_of_its_data(db):
    memo = generations.Memo("org")
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert memo.get("k", compute) == 1
    assert memo.get("k", compute) == 1  # kept
    make_unit("99001", "Phường thử", "ward")  # a save of a tracked model replaces the token
    assert memo.get("k", compute) == 2
    generations.bump("org")  # what bulk writers call
    assert memo.get("k", compute) == 3
    generations.bump("calendar")  # another kind of data: nothing to recompute
    assert memo.get("k", compute) == 3
    memo.clear()
    assert memo.get("k", compute) == 4


def test_tokens_are_random_so_a_rollback_cannot_bring_one_back(db):
    generations.bump("org")
    first = generations.current("org")
    generations.bump("org")
    assert generations.current("org") != first
    assert generations.current("never-bumped") == (0,)
