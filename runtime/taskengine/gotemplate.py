"""Translate Go `text/template` actions into Jinja2 so reference chains render the same (SPEC 8.5).

Supported: `{{.a.b}}`, `{{if}}`/`{{else}}`/`{{range}}`/`{{with}}`, `index`, `len`, `printf`,
comparisons and boolean functions, pipelines, parentheses and `$`.

Actions that are not Go-style (`{{ input }}`) and Jinja statements (`{% %}`) pass through
unchanged. The current Go dot is a Jinja variable (`_d0` is the root). Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

ROOT = "_d0"
_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)
    |(?P<num>[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    |(?P<dot>\.(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?)
    |(?P<var>\$\w*(?:\.[A-Za-z_]\w*)*)
    |(?P<ident>[A-Za-z_]\w*)
    |(?P<punct>[()|])""",
    re.VERBOSE,
)
_KEYWORDS = {"if", "else", "end", "range", "with"}
_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_LITERALS = {"true": "True", "false": "False", "nil": "None"}


class GoTemplateError(ValueError):
    """The Go-style part of a template cannot be translated."""


@dataclass
class _Token:
    kind: str
    text: str
    spaced: bool  # whitespace (or the action start) precedes it


def _tokenize(source: str) -> list[_Token] | None:
    tokens: list[_Token] = []
    pos, spaced = 0, True
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            return None
        kind = match.lastgroup or ""
        if kind == "ws":
            spaced = True
        else:
            tokens.append(_Token(kind, match.group(), spaced))
            spaced = kind == "punct" and match.group() in "(|"
        pos = match.end()
    return tokens


def _is_go(tokens: list[_Token]) -> bool:
    if not tokens:
        return False
    first = tokens[0]
    if first.kind == "ident" and (first.text in _KEYWORDS or first.text in _BUILDERS):
        return len(tokens) > 1 or first.text in {"end", "else"}
    return any(t.kind in {"dot", "var"} and t.spaced for t in tokens)


def _fields(base: str, path: str) -> str:
    return base + "".join(f"[{json.dumps(name)}]" for name in path.split(".") if name)


@dataclass
class _Parser:
    tokens: list[_Token]
    dot: str
    pos: int = 0

    def _peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _next(self) -> _Token:
        token = self._peek()
        if token is None:
            raise GoTemplateError("unexpected end of action")
        self.pos += 1
        return token

    def pipeline(self) -> str:
        expr = self._command(None)
        while (token := self._peek()) is not None and token.text == "|":
            self.pos += 1
            expr = self._command(expr)
        return expr

    def _command(self, piped: str | None) -> str:
        terms: list[tuple[bool, str]] = []
        while (token := self._peek()) is not None and token.text not in {")", "|"}:
            terms.append(self._term())
        if not terms:
            raise GoTemplateError("missing value for command")
        is_function, head = terms[0]
        args = [text for _, text in terms[1:]] + ([piped] if piped is not None else [])
        if is_function:
            return _call(head, args)
        if args:
            raise GoTemplateError(f"can't give argument to non-function {head}")
        return head

    def _term(self) -> tuple[bool, str]:
        token = self._next()
        if token.text == "(":
            inner = self.pipeline()
            if self._next().text != ")":
                raise GoTemplateError("unclosed left paren")
            after = self._peek()
            if after is not None and after.kind == "dot" and not after.spaced:
                self.pos += 1
                return False, _fields(f"({inner})", after.text)
            return False, f"({inner})"
        return _simple_term(token, self.dot)


def _simple_term(token: _Token, dot: str) -> tuple[bool, str]:
    if token.kind == "dot":
        return False, _fields(dot, token.text)
    if token.kind == "var":
        name, _, path = token.text.partition(".")
        if name != "$":
            raise GoTemplateError(f"template variables are not supported: {name}")
        return False, _fields(ROOT, path)
    if token.kind == "str":
        text = token.text[1:-1] if token.text[0] == "`" else json.loads(token.text)
        return False, json.dumps(text)
    if token.kind == "num":
        return False, token.text
    if token.kind == "ident":
        if token.text in _LITERALS:
            return False, _LITERALS[token.text]
        return token.text in _BUILDERS, token.text
    raise GoTemplateError(f"unexpected {token.text!r} in command")


def _index(args: list[str]) -> str:
    if not args:
        raise GoTemplateError("wrong number of args for index")
    return f"_go_index({', '.join(args)})"


def _unary(name: str, template: str) -> Callable[[list[str]], str]:
    def build(args: list[str]) -> str:
        if len(args) != 1:
            raise GoTemplateError(f"wrong number of args for {name}")
        return template.format(args[0])

    return build


def _joined(name: str) -> Callable[[list[str]], str]:
    def build(args: list[str]) -> str:
        if not args:
            raise GoTemplateError(f"wrong number of args for {name}")
        return "(" + f" {name} ".join(args) + ")"

    return build


def _compare(name: str) -> Callable[[list[str]], str]:
    def build(args: list[str]) -> str:
        if name == "eq" and len(args) > 2:  # noqa: PLR2004 - Go's eq compares arg1 with each
            return "(" + " or ".join(f"{args[0]} == {a}" for a in args[1:]) + ")"
        if len(args) != 2:  # noqa: PLR2004
            raise GoTemplateError(f"wrong number of args for {name}")
        return f"({args[0]} {_COMPARE[name]} {args[1]})"

    return build


def _printer(name: str) -> Callable[[list[str]], str]:
    return lambda args: f"_go_{name}({', '.join(args)})"


_BUILDERS: dict[str, Callable[[list[str]], str]] = {
    "index": _index,
    "len": _unary("len", "({}|length)"),
    "not": _unary("not", "(not {})"),
    "and": _joined("and"),
    "or": _joined("or"),
    **{name: _printer(name) for name in ("printf", "print", "println")},
    **{name: _compare(name) for name in _COMPARE},
}


def _call(name: str, args: list[str]) -> str:
    return _BUILDERS[name](args)


@dataclass
class _Translator:
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (kind, dot variable)
    counter: int = 0

    @property
    def dot(self) -> str:
        return self.blocks[-1][1] if self.blocks else ROOT

    def action(self, tokens: list[_Token], left: str, right: str) -> str:
        head = tokens[0].text
        if head not in _KEYWORDS:
            return "{{" + left + " " + _Parser(tokens, self.dot).pipeline() + " " + right + "}}"
        rest = tokens[1:]
        if head == "end":
            return self._end(left, right)
        if head == "else":
            return self._else(rest, left, right)
        expr = _Parser(rest, self.dot).pipeline()
        return self._open(head, expr, left, right)

    def _open(self, kind: str, expr: str, left: str, right: str) -> str:
        if kind == "if":
            self.blocks.append(("if", self.dot))
            return f"{{%{left} if {expr} {right}%}}"
        self.counter += 1
        var = f"_d{self.counter}"
        if kind == "range":
            self.blocks.append(("range", var))
            return f"{{%{left} for {var} in _go_range({expr}) {right}%}}"
        self.blocks.append(("with", var))
        return f"{{%{left} with {var} = {expr} %}}{{% if {var} {right}%}}"

    def _else(self, rest: list[_Token], left: str, right: str) -> str:
        if not self.blocks:
            raise GoTemplateError("unexpected {{else}}")
        kind, _ = self.blocks[-1]
        if rest and rest[0].text == "if" and kind == "if":
            expr = _Parser(rest[1:], self.dot).pipeline()
            return f"{{%{left} elif {expr} {right}%}}"
        if rest:
            raise GoTemplateError("else-with chains are not supported")
        if kind == "with":  # the else branch of `with` sees the outer dot
            self.blocks[-1] = ("with", self.blocks[-2][1] if len(self.blocks) > 1 else ROOT)
        return f"{{%{left} else {right}%}}"

    def _end(self, left: str, right: str) -> str:
        if not self.blocks:
            raise GoTemplateError("unexpected {{end}}")
        kind, _ = self.blocks.pop()
        if kind == "if":
            return f"{{%{left} endif {right}%}}"
        if kind == "range":
            return f"{{%{left} endfor {right}%}}"
        return f"{{%{left} endif %}}{{% endwith {right}%}}"


def translate(source: str) -> str:
    """Rewrite the Go-style actions of `source` as Jinja2; other text is kept as is."""
    translator = _Translator()
    parts: list[str] = []
    pos = 0
    for match in _ACTION.finditer(source):
        parts.append(source[pos : match.start()])
        pos = match.end()
        body = match.group(2)
        left, right = ("-" if match.group(1) else ""), ("-" if match.group(3) else "")
        if body.strip().startswith("/*"):
            continue
        tokens = _tokenize(body)
        if tokens is None or not _is_go(tokens):
            parts.append(match.group())
            continue
        parts.append(translator.action(tokens, left, right))
    if translator.blocks:
        raise GoTemplateError(f"unexpected EOF: unclosed {{{{{translator.blocks[-1][0]}}}}}")
    parts.append(source[pos:])
    return "".join(parts)
