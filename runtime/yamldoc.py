"""YAML documents as plain data (what a JSON document could hold), read safely and boundedly.

Safe types only, one document, no aliases (a few nested aliases expand to gigabytes once the
document is turned into JSON), at most `MAX_NODES` nodes nested at most `MAX_DEPTH` deep.
libyaml's C parser is used when PyYAML has it. Timestamps stay as their text, as in JSON.
Pure, but CPU-bound (~0.5 s a MiB): callers on an event loop run `load` in a worker thread.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_NODES = 200_000
MAX_DEPTH = 64
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPENING = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSING = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class YamlError(ValueError):
    """The text is not a YAML document we read."""


class YamlLimitError(YamlError):
    """The document is too deep or has too many nodes."""


class _Loader(_Base):  # type: ignore[misc]
    """The safe loader (C when available) without the timestamp type."""


# timestamps and dates are read as strings, like every other scalar JSON has no type for
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(text: str | bytes) -> Any:
    """The data of one YAML document; raises `YamlError` with the parser's message."""
    try:
        return _Builder(_Loader(text)).build()
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        if "maximum nesting depth" in message:  # libyaml's own bound (1000)
            raise YamlLimitError(f"YAML nested deeper than {MAX_DEPTH} levels") from None
        raise YamlError(message) from None


class _Builder:
    """Plain data straight from the parser's events, one at a time.

    Not libyaml's composer: that builds the whole node graph in one call that holds the GIL
    (~80 ms a MiB), where this loop lets the event loop's thread in between events.
    """

    def __init__(self, loader: Any) -> None:
        self._loader = loader
        self._frames: list[list[Any]] = []  # [container, pending key] per open collection
        self._nodes = 0
        self._documents = 0
        self._root: Any = None

    def build(self) -> Any:
        try:
            while self._loader.check_event():
                self._take(self._loader.get_event())
        finally:
            self._loader.dispose()
        return self._root

    def _take(self, event: Any) -> None:
        if isinstance(event, yaml.NodeEvent):
            self._count(event)
        if isinstance(event, yaml.ScalarEvent):
            self._attach(self._scalar(event))
        elif isinstance(event, _OPENING):
            self._open(event)
        elif isinstance(event, _CLOSING):
            self._attach(self._frames.pop()[0])
        elif isinstance(event, yaml.DocumentStartEvent):
            self._documents += 1
            if self._documents > 1:
                raise YamlError(f"expected a single document in the stream {event.start_mark}")

    def _count(self, event: Any) -> None:
        if isinstance(event, yaml.AliasEvent):
            raise YamlError(f"aliases are not allowed {event.start_mark}")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise YamlLimitError(f"YAML document has more than {MAX_NODES} nodes")

    def _open(self, event: Any) -> None:
        if len(self._frames) >= MAX_DEPTH:
            raise YamlLimitError(f"YAML nested deeper than {MAX_DEPTH} levels")
        mapping = isinstance(event, yaml.MappingStartEvent)
        if event.tag not in (None, "!", _MAP if mapping else _SEQ):
            raise YamlError(f"unsupported tag {event.tag} {event.start_mark}")
        self._frames.append([{} if mapping else [], _NO_KEY])

    def _scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR:
            return event.value
        construct = self._loader.yaml_constructors.get(tag)
        if construct is None:
            raise YamlError(f"unsupported tag {tag} {event.start_mark}")
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        return construct(self._loader, node)

    def _attach(self, value: Any) -> None:
        if not self._frames:
            self._root = value
            return
        frame = self._frames[-1]
        container = frame[0]
        if isinstance(container, list):
            container.append(value)
        elif frame[1] is _NO_KEY:
            if isinstance(value, dict | list):
                raise YamlError("a mapping key must be a scalar")
            frame[1] = value
        else:
            container[frame[1]] = value
            frame[1] = _NO_KEY


_NO_KEY = object()
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
