"""The rules for names in the file tree and the paths derived from them. Pure."""

from __future__ import annotations

from runtime import errors

MAX_NAME = 255
MAX_PATH = 1024


def check_name(name: str, *, param: str = "name") -> str:
    """The name if a file or folder may carry it; a 422 naming `param` otherwise."""
    if not name or not name.strip():
        raise errors.InvalidInputError("a name must not be empty", param=param)
    if "/" in name or name in (".", ".."):
        raise errors.InvalidInputError(
            f"a name cannot contain '/' or be '.' or '..', got {name!r}", param=param
        )
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):  # noqa: PLR2004 - control characters
        raise errors.InvalidInputError("a name cannot contain control characters", param=param)
    if len(name) > MAX_NAME:
        raise errors.InvalidInputError(f"a name is at most {MAX_NAME} characters", param=param)
    return name


def child_path(parent_path: str, name: str) -> str:
    """The path of `name` inside the folder at `parent_path` ("" for the root)."""
    path = f"{parent_path}/{name}"
    if len(path) > MAX_PATH:
        raise errors.InvalidInputError(f"a path is at most {MAX_PATH} characters", param="name")
    return path


def normalise_prefix(path: str | None) -> str:
    """A folder prefix as given in a query (`/docs/`, `docs`) in stored form (`/docs`)."""
    joined = "/".join(part for part in (path or "").split("/") if part)
    return "/" + joined if joined else ""  # the root ("/") in stored form is ""


def narrow(outer: str, inner: str) -> str | None:
    """The folder a search confined to `outer` looks in when it asks for `inner`.

    Both are stored prefixes ("" for the root). `inner` when it lies within `outer`, `outer`
    when `inner` holds it (a wider ask never escapes), None when the two are apart (a search
    there finds nothing).
    """
    if not outer or inner == outer or inner.startswith(outer + "/"):
        return inner or outer
    if not inner or outer.startswith(inner + "/"):
        return outer
    return None
