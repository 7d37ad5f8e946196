"""What a replica remembers of recent chats: their histories by version, and their owners.

A turn reuses a history when the chat's version is still the one it belongs to (any write to
the chat's messages, on any replica, moves the version on); a chat's owner never changes.
Bounded: the least recently used chat is forgotten first. In memory only; no I/O.
"""

from __future__ import annotations

from collections import OrderedDict

Shown = tuple[int, str, str]  # (seq, role, content)


class Histories:
    """Per chat: (version, messages) for at most `size` chats."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[int, list[Shown]]] = OrderedDict()

    def get(self, chat_id: str, version: int) -> list[Shown] | None:
        entry = self._entries.get(chat_id)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(chat_id)
        return entry[1]

    def version(self, chat_id: str) -> int | None:
        """The version of the chat's history held here, if any."""
        entry = self._entries.get(chat_id)
        return None if entry is None else entry[0]

    def put(self, chat_id: str, version: int, messages: list[Shown]) -> None:
        self._entries[chat_id] = (version, messages)
        self._entries.move_to_end(chat_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def extend(self, chat_id: str, before: int, after: int, added: list[Shown]) -> None:
        """Our write moved the chat from `before` to `after`: extend or forget its history.

        The history is kept only if it was `before`'s and nobody else wrote in between.
        """
        entry = self._entries.pop(chat_id, None)
        if entry is not None and entry[0] == before and after == before + 1:
            self.put(chat_id, after, [*entry[1], *added])


class Owners:
    """Per chat: the identity that owns it, for at most `size` chats."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._entries: OrderedDict[str, str] = OrderedDict()

    def get(self, chat_id: str) -> str | None:
        owner = self._entries.get(chat_id)
        if owner is not None:
            self._entries.move_to_end(chat_id)
        return owner

    def put(self, chat_id: str, owner: str) -> None:
        self._entries[chat_id] = owner
        self._entries.move_to_end(chat_id)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def forget(self, chat_id: str) -> None:
        self._entries.pop(chat_id, None)
