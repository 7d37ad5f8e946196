"""YAML documents as plain data (what a JSON document could hold), read safely.

Safe types only, one document, and no aliases: a few nested aliases expand to gigabytes once
the document is turned into JSON or a struct. Timestamps stay as their text, as in JSON.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError


class YamlError(ValueError):
    """The text is not a YAML document we read."""


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise ComposerError(None, None, "aliases are not allowed", mark)
        return super().compose_node(parent, index)


# timestamps and dates are read as strings, like every other scalar JSON has no type for
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(text: str | bytes) -> Any:
    """The data of one YAML document; raises `YamlError` with the parser's message."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader, minus aliases
    except yaml.YAMLError as exc:
        raise YamlError(" ".join(str(exc).split())) from None
