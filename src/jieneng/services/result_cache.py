"""Cache of computed dashboard results, invalidated by the database's data version.

A region's overview is read many times between two changes of its figures (data
arrive monthly; officers, 统计员 and the big screen read every day). Every write
that can change a dashboard figure — figures, the directory, profiles, regions, a
key-value setting such as a region's factor-set choice or a publication — stores a
new random **data version** in the same transaction
(:func:`jieneng.storage.meta.touch_data_version`). A cached result is keyed by that
version and by every argument of the call (the caller's scope included), so:

- a hit is a result computed from the same committed data (the version is read
  *before* the computation, on the same connection; a write committing during the
  computation gives a new version, and the entry is never hit again);
- entries are kept pickled, so every hit is a fresh copy a caller may change
  (unpickling is ~3× cheaper than ``copy.deepcopy`` of an overview);
- several server processes share nothing but the database and stay correct;
- nothing is cached until the database has a version (a database written only by
  an older jieneng).

One LRU per engine (weakly keyed, gone with the engine), bounded in entries
(:data:`MAX_ENTRIES` by default, :func:`configure`; 0 turns caching off — the
setting ``result_cache_entries``). A hit also skips the scope checks of the
computation safely: it exists only for the same scope and arguments that passed
them on the same data version.
"""

from __future__ import annotations

import pickle
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from sqlalchemy import Connection, Engine

from jieneng.storage.meta import data_version

T = TypeVar("T")

#: Default entries kept per engine (an overview is ~50 KB: ≈ 13 MB at most).
MAX_ENTRIES = 256

_caches: weakref.WeakKeyDictionary[Engine, _Lru] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


class _Lru:
    def __init__(self) -> None:
        self.limit = MAX_ENTRIES
        self.entries: OrderedDict[Hashable, object] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> tuple[bool, object]:
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                self.hits += 1
                return True, self.entries[key]
            self.misses += 1
            return False, None

    def put(self, key: Hashable, value: object) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.limit:
                self.entries.popitem(last=False)


def _lru(engine: Engine) -> _Lru:
    with _caches_lock:
        lru = _caches.get(engine)
        if lru is None:
            lru = _caches[engine] = _Lru()
        return lru


def cached(engine: Engine, conn: Connection, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` or, for the same ``key`` and data version, a copy of its last
    result. ``conn`` is the connection ``compute`` reads through."""
    lru = _lru(engine)
    if lru.limit <= 0:
        return compute()
    version = data_version(conn)
    if version is None:
        return compute()
    full_key = (version, key)
    hit, value = lru.get(full_key)
    if hit:
        assert isinstance(value, bytes)
        return cast(T, pickle.loads(value))  # bytes this process pickled itself
    result = compute()
    lru.put(full_key, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    return result


def configure(engine: Engine, entries: int) -> None:
    """Bound an engine's cache to ``entries`` results (0: no caching)."""
    lru = _lru(engine)
    with lru.lock:
        lru.limit = entries
        while len(lru.entries) > max(entries, 0):
            lru.entries.popitem(last=False)


def stats(engine: Engine) -> dict[str, int]:
    """Hits, misses and entries of an engine's cache (for tests and the bench)."""
    lru = _lru(engine)
    with lru.lock:
        return {"hits": lru.hits, "misses": lru.misses, "entries": len(lru.entries)}


def clear(engine: Engine) -> None:
    lru = _lru(engine)
    with lru.lock:
        lru.entries.clear()
