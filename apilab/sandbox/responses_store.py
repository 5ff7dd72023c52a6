"""Stored Responses: what ``store: true`` keeps so ``previous_response_id`` can continue it.

The Responses API is stateful on the provider's side: a stored response keeps its
input items, its output items and the whole conversation before it, and a
request naming ``previous_response_id`` is billed for all of that history as
input tokens again (the provider stores the conversation, it does not remember
it for free). Chat Completions keeps nothing: the client resends the history.
The lesson on statelessness shows that contrast with this store.

Responses are scoped to the key that made them (another key gets a 404, as
another project would) and kept in this process only, newest ``CAPACITY`` of
them; a sandbox in several processes does not share them.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Any

__all__ = ["CAPACITY", "ResponseStore", "StoredResponse"]

CAPACITY = 10_000


@dataclasses.dataclass
class StoredResponse:
    """One stored response: the object as returned, its input and the history it ends."""

    owner: str  # key id
    response: dict[str, Any]
    input_items: list[dict[str, Any]]
    history: list[dict[str, Any]]  # every item of the conversation, this response's output last


class ResponseStore:
    """Stored responses by id, oldest evicted first once ``capacity`` is reached."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, StoredResponse] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, owner: str, response: dict[str, Any], input_items: list[dict[str, Any]],
            history: list[dict[str, Any]]) -> None:
        """Keep a response (replacing one with the same id)."""
        with self._lock:
            self._items[response["id"]] = StoredResponse(owner, response, input_items, history)
            self._items.move_to_end(response["id"])
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def get(self, owner: str, response_id: str) -> StoredResponse | None:
        """The stored response if ``owner`` made it, else None."""
        with self._lock:
            stored = self._items.get(response_id)
        return stored if stored is not None and stored.owner == owner else None

    def delete(self, owner: str, response_id: str) -> bool:
        """Forget a response; False when there was none for this owner."""
        with self._lock:
            stored = self._items.get(response_id)
            if stored is None or stored.owner != owner:
                return False
            del self._items[response_id]
            return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
