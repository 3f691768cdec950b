"""A queue that is filled over time (a listing, page by page) and emptied in batches.

Workers ask for a batch of a given size and wait until that many items are there or the feed
is closed, so the first GraphQL batches go out while the rest of a group is still listed.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class Feed(Generic[T]):
    """Thread-safe: any number of producers ``put``, one ``close``s, workers ``take``."""

    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._changed = threading.Condition()
        self._closed = False

    def put(self, item: T) -> None:
        with self._changed:
            if self._closed:
                raise RuntimeError("put on a closed feed")
            self._items.append(item)
            self._changed.notify_all()

    def put_front(self, items: Iterable[T]) -> None:
        """Give items back (a batch that has to be sent again): they are taken first."""
        with self._changed:
            self._items.extendleft(reversed(list(items)))
            self._changed.notify_all()

    def close(self) -> None:
        """No more items will come: waiting ``take`` calls return what is left."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def take(self, size: int | Callable[[], int]) -> list[T]:
        """Up to ``size`` items, waiting until that many are there or the feed is closed;
        ``[]`` once it is closed and empty. ``size`` may be a function (asked at each wake-up:
        the batch size is learned while workers wait)."""
        with self._changed:
            while True:
                wanted = max(1, size() if callable(size) else size)
                if len(self._items) >= wanted or self._closed:
                    count = min(wanted, len(self._items))
                    return [self._items.popleft() for _ in range(count)]
                self._changed.wait()
