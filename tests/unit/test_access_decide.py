"""The pure access decision: nearest resource with entries decides, folders are inherited."""

from __future__ import annotations

from runtime.identity.access import Resource, decide
from runtime.identity.types import principal

ALICE = principal("user", "alice", frozenset({"use", "read"}))
BOB = principal("key", "bob", frozenset({"manage"}))
ADMIN = principal("user", "root", frozenset({"admin"}))
PARENTS: dict[Resource, Resource] = {
    ("file", "report"): ("folder", "finance"),
    ("file", "roadmap"): ("folder", "product"),
    ("file", "secret-plan"): ("folder", "product"),
    ("folder", "finance"): ("folder", "root"),
    ("folder", "product"): ("folder", "root"),
}
ENTRIES: dict[Resource, dict[str, str]] = {
    ("folder", "finance"): {"alice": "view"},
    ("folder", "product"): {"bob": "edit"},
    ("file", "secret-plan"): {"alice": "manage"},
}


def parent(resource: Resource) -> Resource | None:
    return PARENTS.get(resource)


def test_files_inherit_their_folders_entries() -> None:
    assert decide(ALICE, ("file", "report"), "view", ENTRIES, parent)
    assert not decide(BOB, ("file", "report"), "view", ENTRIES, parent)
    assert decide(BOB, ("file", "roadmap"), "edit", ENTRIES, parent)
    assert not decide(ALICE, ("file", "roadmap"), "view", ENTRIES, parent)


def test_permission_must_reach_what_is_needed() -> None:
    assert not decide(ALICE, ("file", "report"), "edit", ENTRIES, parent)
    assert not decide(BOB, ("file", "roadmap"), "manage", ENTRIES, parent)


def test_an_entry_on_the_file_overrides_its_folder() -> None:
    assert decide(ALICE, ("file", "secret-plan"), "manage", ENTRIES, parent)
    assert not decide(BOB, ("file", "secret-plan"), "view", ENTRIES, parent)


def test_none_is_no_access_and_resources_without_entries_follow_scopes() -> None:
    entries = {("chain", "c"): {"alice": "none", "bob": "view"}}
    assert not decide(ALICE, ("chain", "c"), "view", entries)
    assert decide(BOB, ("chain", "c"), "view", entries)
    assert decide(ALICE, ("chain", "free"), "manage", entries)


def test_admins_may_do_anything() -> None:
    assert decide(ADMIN, ("file", "secret-plan"), "manage", ENTRIES, parent)


def test_a_cycle_in_the_parents_ends_in_refusal() -> None:
    loop = {("folder", "a"): ("folder", "b"), ("folder", "b"): ("folder", "a")}
    assert not decide(ALICE, ("folder", "a"), "view", {}, loop.get)


def test_an_owned_resource_is_its_owners_and_others_need_an_entry_on_it() -> None:
    entries = {("chat", "c"): {"bob": "view"}}
    assert decide(ALICE, ("chat", "c"), "manage", entries, owner="alice")
    assert decide(BOB, ("chat", "c"), "view", entries, owner="alice")
    assert not decide(BOB, ("chat", "c"), "edit", entries, owner="alice")
    assert not decide(BOB, ("chat", "free"), "view", entries, owner="alice")  # no scope fallback
    assert decide(ADMIN, ("chat", "free"), "manage", entries, owner="alice")
