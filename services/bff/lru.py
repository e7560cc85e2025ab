"""A dict bounded to ``limit`` entries, the least recently used dropped first: what the
BFF keeps in memory per code or per partner must not grow with hostile input."""
from __future__ import annotations

from collections import OrderedDict


class Lru(OrderedDict):
    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def touch(self, key):
        """The value (None if absent), marked as used just now."""
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)
