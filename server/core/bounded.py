"""A dict that keeps only its most recently used entries, for per-org caches on a server with many orgs."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """`setdefault`/`get`/`pop` over at most `max_items` entries; the least recently used go to `on_evict`."""

    def __init__(self, max_items: int, on_evict: Callable[[K, V], None] | None = None) -> None:
        self.max_items = max_items
        self._on_evict = on_evict
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def setdefault(self, key: K, default: V) -> V:
        """The entry for `key`, stored as `default` when missing; marks it most recently used."""
        with self._lock:
            value = self._items.setdefault(key, default)
            self._items.move_to_end(key)
            evicted = [self._items.popitem(last=False) for _ in range(len(self._items) - self.max_items)]
        for old_key, old_value in evicted:
            if self._on_evict is not None:
                self._on_evict(old_key, old_value)
        return value

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._items.get(key)

    def pop(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            return self._items.pop(key, default)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items
