"""In-memory lookups over reference data, dropped as soon as that data changes.

Reading a figure needs lookups that change rarely but cost several queries to build: the org
tree's succession map, a unit's working calendar, the procedures' due-soon margins. A process
keeps them in memory (`Memo`) under the *generation* of the data they were computed from: a
token per kind of data (`Generation` rows), replaced by every write of that data, in the
writer's transaction:

* `track(model, name)` — every save and delete of `model` replaces generation `name` (apps call
  it from `ready()`); writers that bypass signals (bulk_create / bulk_update / update) call
  `bump(name)` themselves;
* `current(*names)` — the tokens now (one query);
* `Memo(*names)` — `memo.get(key, compute)` returns the value computed under the current
  tokens, or computes it again (`memo.get_many` checks the tokens once for several keys).

Tokens are random, not counters: a rolled-back transaction (a test) cannot bring back a token
that a process already used for other data. The tokens are read *before* computing, so a value
is never stored under a token newer than the data it was read from.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Hashable
from typing import Any

from django.db import connection
from django.db.models.signals import post_delete, post_save

from .models import Generation

_MAX_ENTRIES = 10_000


def bump(name: str) -> None:
    """Replace generation `name`'s token (inside the caller's transaction)."""
    table = connection.ops.quote_name(Generation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, token) VALUES (%s, %s) "  # noqa: S608 (model metadata)
            "ON CONFLICT (name) DO UPDATE SET token = excluded.token",
            [name, secrets.randbits(62)],
        )


def current(*names: str) -> tuple[int, ...]:
    """The tokens of `names` now (0 for a generation never bumped), one query."""
    tokens = dict(Generation.objects.filter(name__in=names).values_list("name", "token"))
    return tuple(tokens.get(name, 0) for name in names)


def track(model, name: str) -> None:
    """Replace generation `name` on every save and delete of `model`."""

    def changed(sender, **kwargs):
        bump(name)

    uid = f"generation:{name}:{model._meta.label}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":save")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":delete")


class Memo:
    """Values derived from the data of some generations, per process."""

    def __init__(self, *names: str):
        self.names = names
        self._lock = threading.Lock()
        self._tokens: tuple[int, ...] | None = None
        self._values: dict[Hashable, Any] = {}

    def tokens(self) -> tuple[int, ...]:
        """Check the generations (one query) and forget everything if one has changed."""
        tokens = current(*self.names)
        with self._lock:
            if tokens != self._tokens:
                self._tokens, self._values = tokens, {}
        return tokens

    def clear(self) -> None:
        """Forget every value (a benchmark's cold start)."""
        with self._lock:
            self._tokens, self._values = None, {}

    def get(self, key: Hashable, compute: Callable[[], Any], *, tokens=None) -> Any:
        """The value for `key` under the current tokens (`tokens`: already checked by the
        caller with `self.tokens()`, e.g. once per request)."""
        tokens = self.tokens() if tokens is None else tokens
        with self._lock:
            if tokens == self._tokens and key in self._values:
                return self._values[key]
        value = compute()
        with self._lock:
            if tokens == self._tokens:
                if len(self._values) >= _MAX_ENTRIES:
                    self._values.clear()
                self._values[key] = value
        return value
