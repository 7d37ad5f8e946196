"""Recent histories are reused only at the version they belong to."""

from __future__ import annotations

from runtime.chats.recent import Histories, Owners


def test_a_history_is_reused_only_at_its_version() -> None:
    recent = Histories()
    recent.put("c", 3, [(0, "user", "a")])
    assert recent.get("c", 3) == [(0, "user", "a")]
    assert recent.get("c", 4) is None


def test_our_own_write_extends_it_and_anyone_elses_drops_it() -> None:
    recent = Histories()
    recent.put("c", 3, [(0, "user", "a")])
    recent.extend("c", 3, 4, [(1, "assistant", "b")])
    assert recent.get("c", 4) == [(0, "user", "a"), (1, "assistant", "b")]
    recent.extend("c", 4, 6, [(2, "user", "c")])  # someone wrote in between
    assert recent.get("c", 6) is None


def test_the_least_recently_used_chat_is_forgotten_first() -> None:
    recent = Histories(size=2)
    recent.put("a", 1, [])
    recent.put("b", 1, [])
    recent.get("a", 1)
    recent.put("c", 1, [])
    assert recent.get("b", 1) is None
    assert recent.get("a", 1) == []


def test_owners_are_remembered_for_the_latest_chats_only() -> None:
    owners = Owners(size=2)
    owners.put("a", "alice")
    owners.put("b", "bob")
    assert owners.get("a") == "alice"  # now the most recently used
    owners.put("c", "carol")
    assert (owners.get("a"), owners.get("b"), owners.get("c")) == ("alice", None, "carol")
    owners.forget("a")
    assert owners.get("a") is None
