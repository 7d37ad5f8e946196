"""Template rendering for `prompt_template`, `print` and `output_template` (SPEC 8.5).

Jinja2 in a `SandboxedEnvironment`; Go-style actions are translated first
(`runtime.taskengine.gotemplate`). Values print like Go's `%v`, a missing key prints
`<no value>`. Compiled templates are cached. Pure.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import jinja2
import msgspec
from jinja2.sandbox import SandboxedEnvironment

from runtime.taskengine.gofmt import go_value
from runtime.taskengine.gotemplate import ROOT, GoTemplateError, translate

_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


class TemplateError(ValueError):
    """A template does not compile or fails to render."""


class _NoValue(jinja2.ChainableUndefined):
    """Go's rendering of a missing map key."""

    def __str__(self) -> str:
        return "<no value>"


def _finalize(value: Any) -> str:
    return "<no value>" if isinstance(value, jinja2.Undefined) else go_value(value)


def _format_one(flags: str, width: str, precision: str, verb: str, arg: Any) -> str:
    if verb in {"v", "s"}:
        text = go_value(arg)[: int(precision)] if precision else go_value(arg)
    elif verb == "q":
        text = json.dumps(go_value(arg), ensure_ascii=False)
    elif verb == "t":
        text = go_value(arg)
    else:
        spec = ("+" if "+" in flags else "") + (f".{precision}" if precision else "") + verb
        try:
            text = format(arg, spec)
        except (TypeError, ValueError):
            return f"%!{verb}({type(arg).__name__}={go_value(arg)})"
    size = int(width or 0)
    if "-" in flags:
        return text.ljust(size)
    return text.rjust(size, "0" if "0" in flags and verb not in "vsqt" else " ")


def go_sprintf(fmt: str, *args: Any) -> str:
    """A subset of Go's `fmt.Sprintf`: `%v %s %q %t %d %f %e %g %x` with flags, width, precision."""
    values = iter(args)
    out: list[str] = []
    pos = 0
    for match in _VERB.finditer(fmt):
        out.append(fmt[pos : match.start()])
        pos = match.end()
        flags, width, precision, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        arg = next(values, _MISSING)
        if arg is _MISSING:
            out.append(f"%!{verb}(MISSING)")
            continue
        out.append(_format_one(flags, width or "", precision or "", verb, arg))
    out.append(fmt[pos:])
    return "".join(out)


_MISSING = object()


def _go_print(*args: Any) -> str:
    return "".join(go_value(a) for a in args)


def _go_println(*args: Any) -> str:
    return " ".join(go_value(a) for a in args) + "\n"


def _go_index(value: Any, *keys: Any) -> Any:
    """Go's `index`: out-of-range list indexes fail, missing map keys are `<no value>`."""
    for key in keys:
        if isinstance(value, list | tuple | str):
            if not isinstance(key, int) or not 0 <= key < len(value):
                raise TemplateError(f"error calling index: index out of range: {key}")
            value = value[key]
        elif isinstance(value, dict):
            value = value.get(key, _ENV.undefined(name=str(key)))
        elif isinstance(value, msgspec.Struct) and key in value.__struct_fields__:
            value = getattr(value, key)
        else:
            raise TemplateError(f"error calling index: cannot index {type(value).__name__}")
    return value


def _go_range(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    if isinstance(value, int) and not isinstance(value, bool):
        return list(range(value))
    if value is None or isinstance(value, jinja2.Undefined):
        return []
    return list(value)


_ENV = SandboxedEnvironment(
    undefined=_NoValue,
    finalize=_finalize,
    autoescape=False,
    keep_trailing_newline=True,
)
_ENV.globals.update(
    _go_printf=go_sprintf,
    _go_index=_go_index,
    _go_print=_go_print,
    _go_println=_go_println,
    _go_range=_go_range,
)


@functools.lru_cache(maxsize=512)
def compile_template(source: str) -> jinja2.Template:
    """Compile (Go-style or Jinja) template text; raises `TemplateError`."""
    try:
        return _ENV.from_string(translate(source))
    except (GoTemplateError, jinja2.TemplateError) as exc:
        raise TemplateError(str(exc)) from exc


def render(source: str, data: Any) -> str:
    """Render with `data` as the Go dot; a dict's keys are also Jinja variables."""
    template = compile_template(source)
    context = (
        {k: v for k, v in data.items() if isinstance(k, str)} if isinstance(data, dict) else {}
    )
    context[ROOT] = data
    try:
        return template.render(context)
    except TemplateError:
        raise
    except jinja2.TemplateError as exc:
        raise TemplateError(str(exc)) from exc
    except (TypeError, ValueError, LookupError, AttributeError) as exc:
        raise TemplateError(f"{type(exc).__name__}: {exc}") from exc
