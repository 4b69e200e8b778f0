"""JSON Schema to typed Python: parameters, result nouns, names, and clear errors."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from punie_core.mcp.schema import SchemaError, TypeBuilder, camel, identifier
from punie_core.mcp.tools import is_path_parameter, tool_name


@pytest.mark.parametrize(
    ("server", "tool", "expected"),
    [
        ("JetBrains", "get_file_problems", "jetbrains_get_file_problems"),
        ("my-server", "Write Note", "my_server_write_note"),
        ("idea.mcp", "search/text", "idea_mcp_search_text"),
        ("1password", "read", "_1password_read"),
    ],
)
def test_tool_names_are_server_and_tool_lowered_with_non_identifier_characters_as_underscores(
    server, tool, expected
):
    assert tool_name(server, tool) == expected
    assert expected.isidentifier()


def test_input_schema_becomes_keyword_parameters_with_types_and_defaults():
    builder = TypeBuilder(where="s/t", prefix="T")
    params = builder.parameters(
        {
            "type": "object",
            "properties": {
                "filePath": {"type": "string"},
                "errorsOnly": {"type": "boolean", "default": True},
                "limit": {"type": ["integer", "null"]},
                "mode": {"enum": ["fast", "slow"]},
                "paths": {"type": "array", "items": {"type": "string"}},
                "options": {"type": "object", "properties": {"a": {"type": "integer"}}},
                "class": {"type": "string"},
            },
            "required": ["filePath"],
        }
    )
    by_name = {p.name: p for p in params}
    assert by_name["filePath"].annotation is str and by_name["filePath"].required
    assert by_name["errorsOnly"].default is True
    assert by_name["limit"].annotation == int | None
    assert by_name["mode"].annotation == Literal["fast", "slow"] | None
    assert by_name["paths"].annotation == list[str] | None
    assert by_name["options"].annotation == dict[str, Any] | None
    assert by_name["class_"].key == "class"  # a keyword keeps its JSON spelling as the key


def test_output_schema_becomes_nouns_read_by_field():
    builder = TypeBuilder(where="s/t", prefix="JetbrainsGetFileProblems")
    model = builder.result_type(
        {
            "type": "object",
            "properties": {
                "filePath": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "line": {"type": "integer"},
                            "file-name": {"type": "string"},
                        },
                        "required": ["line"],
                    },
                },
            },
            "required": ["filePath", "errors"],
        }
    )
    assert model.__name__ == "JetbrainsGetFileProblems"
    assert [m.__name__ for m in builder.models] == [
        "JetbrainsGetFileProblemsError",
        "JetbrainsGetFileProblems",
    ]
    value = model.model_validate(
        {"filePath": "a.py", "errors": [{"line": 3, "file-name": "a.py"}], "extra": 1}
    )
    assert value.errors[0].line == 3
    assert value.errors[0].file_name == "a.py"


def test_refs_and_any_of_resolve():
    builder = TypeBuilder(where="s/t", prefix="R")
    model = builder.result_type(
        {
            "type": "object",
            "$defs": {"Pos": {"type": "object", "properties": {"line": {"type": "integer"}}}},
            "properties": {"at": {"anyOf": [{"$ref": "#/$defs/Pos"}, {"type": "null"}]}},
        }
    )
    assert model.model_validate({"at": {"line": 2}}).at.line == 2
    assert model.model_validate({"at": None}).at is None


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            {"type": "object", "properties": {"x": {"type": "strng"}}},
            "'strng' is not a JSON Schema type",
        ),
        ({"type": "object", "properties": []}, "properties must be an object"),
        ({"type": "object", "properties": {"x": 3}}, "properties.x must be a schema"),
        ({"type": "object", "required": "x"}, "required must be a list"),
        ({"type": "string"}, "must have type 'object'"),
        ("nope", "must be a JSON object"),
        ({"type": "object", "properties": {"x": {"$ref": "#/nowhere"}}}, "does not resolve"),
    ],
)
def test_malformed_schemas_raise_a_schema_error_naming_the_place(schema, message):
    with pytest.raises(SchemaError, match=message.replace("(", r"\(")):
        TypeBuilder(where="srv/tool", prefix="T").parameters(schema)


def test_path_parameters_are_recognised_only_where_the_schema_says_so():
    text = {"type": "string"}
    assert is_path_parameter("filePath", text)
    assert is_path_parameter("pathInProject", text)
    assert is_path_parameter("paths", {"type": "array", "items": text})
    assert is_path_parameter("file", text)
    assert not is_path_parameter("projectPath", text)  # JetBrains' implicit project
    assert not is_path_parameter("q", text)
    assert not is_path_parameter("filePath", {"type": "integer"})


def test_identifier_and_camel():
    assert identifier("My Server") == "my_server"
    assert camel("get_file_problems") == "GetFileProblems"
