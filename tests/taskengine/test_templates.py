from __future__ import annotations

from typing import Any

import pytest

from runtime.taskengine.chat import ChatHistory
from runtime.taskengine.templates import TemplateError, go_sprintf, render

DATA: dict[str, Any] = {
    "input": "x",
    "get_data": {"user": {"name": "bob"}, "repos": [{"name": "r1", "owner": {"login": "me"}}]},
    "n": 3.5,
    "big": 1e6,
    "count": 3,
    "m": {"b": 2, "a": 1},
    "items": ["a", "b"],
    "task-id": "dash",
    "ok": True,
    "nothing": None,
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("What is {{.input}}?", "What is x?"),
        ("{{.get_data.user.name}}", "bob"),
        ("{{(index .get_data.repos 0).name}}", "r1"),
        ("{{(index (index .get_data.repos 0).owner).login}}", "me"),
        ('{{index . "task-id"}}', "dash"),
        ("{{.missing}}", "<no value>"),
        ("{{.n}} {{.big}} {{.count}} {{.ok}} {{.nothing}}", "3.5 1e+06 3 true <nil>"),
        ("{{.m}} {{.items}}", "map[a:1 b:2] [a b]"),
        ('{{if eq .input "x"}}yes{{else}}no{{end}}', "yes"),
        ('{{if ne .input "x"}}yes{{else if .ok}}elif{{end}}', "elif"),
        ("{{if gt .count 2}}big{{end}}{{if lt .count 2}}small{{end}}", "big"),
        (
            "{{if and .ok (not .missing)}}both{{end}}{{if or .missing .ok}}+either{{end}}",
            "both+either",
        ),
        ("{{range .items}}[{{.}}]{{end}}", "[a][b]"),
        ("{{range .m}}{{.}}{{end}}", "12"),
        ("{{range .none}}x{{else}}empty{{end}}", "empty"),
        ("{{with .get_data.user}}{{.name}}{{end}}", "bob"),
        ("{{with .missing}}x{{else}}none{{end}}", "none"),
        ("{{len .items}}", "2"),
        (
            '{{printf "%.2f|%d|%s|%v|%5s|%-3d|%q" .n .count .input .m "r" 1 .input}}',
            '3.50|3|x|map[a:1 b:2]|    r|1  |"x"',
        ),
        ('{{.input | printf "<%s>"}}', "<x>"),
        ("{{- .input -}}  \n", "x"),
        ("{{/* comment */}}kept", "kept"),
        ("{{ input }} and {{ m.a }}", "x and 1"),
        ("{% if ok %}jinja{% endif %}", "jinja"),
        ("{{$.input}}", "x"),
        ("keep trailing newline\n", "keep trailing newline\n"),
    ],
)
def test_go_style_templates_render_like_the_reference(source: str, expected: str) -> None:
    assert render(source, DATA) == expected


def test_struct_values_are_reachable_by_field() -> None:
    history = ChatHistory(model="m")
    assert render("{{.h.model}} {{len .h.messages}}", {"h": history}) == "m 0"


@pytest.mark.parametrize(
    "source", ["{{.input", "{{if .ok}}open", "{{end}}", "{{eq .a}}", "{{ 1 + }}"]
)
def test_invalid_templates_raise_template_error(source: str) -> None:
    with pytest.raises(TemplateError):
        render(source, DATA)


def test_index_out_of_range_fails_at_render_time() -> None:
    with pytest.raises(TemplateError, match="index out of range"):
        render("{{index .items 5}}", DATA)


def test_sandbox_blocks_private_attributes() -> None:
    with pytest.raises(TemplateError):
        render("{{ input.__class__.__mro__[1].__subclasses__() }}", DATA)


def test_sprintf_reports_missing_arguments() -> None:
    assert go_sprintf("%d and %d", 1) == "1 and %!d(MISSING)"
    assert go_sprintf("100%%") == "100%"
