"""Breaking changes between two OpenAPI 3.1 documents: the rules that matter to this API's clients.

Hand-written because no OpenAPI diff on PyPI or npm does this offline and well: oasdiff is a Go
program (npm's `oasdiff` is a placeholder), @pb33f/openapi-changes downloads its binary when
installed, fastify's openapi-schema-diff reports every change without telling which break
clients, and api-smart-diff (OpenAPI 3.0) calls a response field's type change and a query
parameter narrowed from array to string non-breaking.

A change breaks a client when a request that was valid is refused or read differently, or a
response the client could parse is no longer of the shape it was promised. So requests
(parameters, bodies) may only widen, responses may only narrow:
- a path or an operation removed; a success (2xx) response removed;
- a parameter or request field removed, or newly required; a request body newly required;
- a request value narrowed: a type no longer taken (string -> integer, array -> string, null),
  maxLength, maxItems, maximum lowered or added; minLength, minItems, minimum raised or added;
  a pattern, format, multipleOf or `not` added or changed; an enum value removed; other
  fields refused;
- a response value widened: a field removed or no longer always present, a type it may now
  have (integer where it was a string, null), an enum value added;
- a media type removed from a request body or a response; a response header removed;
- a set of credentials an operation accepted no longer accepted (none at all, or a scheme).
A parameter is read as it travels, as text: its `null` is ignored (FastAPI's `X | None` says
only that it may be left out), and a scalar that becomes an array of it is additive (one value
reads as a list of one).
Each change is one line naming where it is, e.g.
`REST: GET /events/{userId}: query parameter limit: maximum lowered from 1000 to 500`; a schema
shared through `$ref` is named once (`REST: response schema Event: field receivedAt: removed`).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from scripts.contract.json_schema import (
    ANY,
    Json,
    alternative,
    as_schema,
    compared_types,
    members,
    named,
    resolve,
    takes,
    types,
    without_null,
)

Direction = Literal["request", "response"]
# An operation's parameters by place and name: ("query", "limit").
Parameters = dict[tuple[str, str], Json]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Bounds a request value must stay within: a lowered upper or raised lower bound narrows it.
UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
LOWER_BOUNDS = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
# Constraints a request value must meet, which cannot be ordered: any new one may refuse it.
EXACT_RULES = ("pattern", "format", "multipleOf", "const", "not")


def breaking_changes(before: Json, after: Json) -> list[str]:
    """Every breaking change from `before` to `after`, once each, in document order."""
    diff = _Diff(before, after)
    new_paths = after.get("paths") or {}
    for path, old_item in (before.get("paths") or {}).items():
        if path not in new_paths:
            diff.report(f"path {path}", "removed")
            continue
        old_item, new_item = diff.resolved(old_item, new_paths[path])
        for method in METHODS:
            if method not in old_item:
                continue
            where = f"{method.upper()} {path}"
            if method not in new_item:
                diff.report(where, "removed")
                continue
            old_parameters = _parameters(diff.before, old_item, old_item[method])
            new_parameters = _parameters(diff.after, new_item, new_item[method])
            diff.parameters(where, old_parameters, new_parameters)
            diff.operation(where, old_item[method], new_item[method])
            for lost in _security(before, old_item[method]) - _security(after, new_item[method]):
                credentials = " and ".join(sorted(lost)) or "no credentials"
                diff.report(where, f"security: {credentials} no longer accepted")
    return list(dict.fromkeys(diff.changes))


@dataclass
class _Diff:
    before: Json
    after: Json
    changes: list[str] = field(default_factory=list)
    # The pairs of schemas compared, by direction and identity (the pair is kept, so no id is
    # reused): a shared schema is reported once, under its name, and a recursive one ends.
    compared: dict[tuple[str, int, int], tuple[Any, Any]] = field(default_factory=dict)

    def report(self, where: str, change: str, path: str = "") -> None:
        self.changes.append(f"REST: {where}: {f'field {path}: ' if path else ''}{change}")

    def resolved(self, old: Any, new: Any) -> tuple[Any, Any]:
        return resolve(self.before, old)[1], resolve(self.after, new)[1]

    def parameters(self, where: str, old: Parameters, new: Parameters) -> None:
        for key, old_parameter in old.items():
            name = f"{key[0]} parameter {key[1]}"
            new_parameter = new.get(key)
            if new_parameter is None:
                self.report(where, f"{name}: removed")
                continue
            self.parameter(f"{where}: {name}", old_parameter, new_parameter)
        for key, new_parameter in new.items():
            if new_parameter.get("required") and not old.get(key, {}).get("required"):
                self.report(where, f"{key[0]} parameter {key[1]}: now required")

    def parameter(self, where: str, old: Json, new: Json) -> None:
        """A parameter's value as sent: text in a URL or header, where null cannot be written
        (FastAPI's `X | None` only says it may be left out), and where one value reads as an
        array of one, so a scalar that becomes an array of that scalar takes what it took."""
        old_schema = without_null(self.before, old.get("schema", {}))
        new_schema = without_null(self.after, new.get("schema", {}))
        old_types, new_types = types(self.before, old_schema), types(self.after, new_schema)
        if "array" in new_types and "array" not in old_types and ANY not in old_types:
            array = as_schema(resolve(self.after, alternative(self.after, new_schema, "array"))[1])
            if array.get("minItems", 0) > 1:
                self.report(where, f"minItems {array['minItems']} added")
            new_schema = array.get("items", {})
        self.schema("request", where, "", old_schema, new_schema)

    def operation(self, where: str, old: Json, new: Json) -> None:
        old_body, new_body = self.resolved(old.get("requestBody"), new.get("requestBody"))
        if new_body and new_body.get("required") and not (old_body or {}).get("required"):
            self.report(where, "request body: now required")
        if old_body:
            if not new_body:
                self.report(where, "request body: removed")
            else:
                self.content("request", f"{where}: request body", old_body, new_body)
        new_responses = new.get("responses") or {}
        for status, old_response in (old.get("responses") or {}).items():
            if str(status) not in new_responses:
                if str(status).startswith("2"):
                    self.report(where, f"success response {status}: removed")
                continue
            old_response, new_response = self.resolved(old_response, new_responses[str(status)])
            self.content("response", f"{where}: response {status}", old_response, new_response)
            new_headers = new_response.get("headers") or {}
            for name, old_header in (old_response.get("headers") or {}).items():
                if name not in new_headers:
                    self.report(where, f"response {status}: header {name}: removed")
                    continue
                old_header, new_header = self.resolved(old_header, new_headers[name])
                self.schema(
                    "response",
                    f"{where}: response {status} header {name}",
                    "",
                    old_header.get("schema", {}),
                    new_header.get("schema", {}),
                )

    def content(self, direction: Direction, where: str, old: Json, new: Json) -> None:
        new_content = new.get("content") or {}
        for media_type, old_media in (old.get("content") or {}).items():
            if media_type not in new_content:
                self.report(where, f"{media_type}: removed")
                continue
            named = where if media_type == "application/json" else f"{where} ({media_type})"
            self.schema(
                direction,
                named,
                "",
                old_media.get("schema", {}),
                new_content[media_type].get("schema", {}),
            )

    def schema(self, direction: Direction, where: str, path: str, old: Any, new: Any) -> None:
        """Compare two schemas of a value a client sends (`request`) or reads (`response`)."""
        old_name, old = resolve(self.before, old)
        new_name, new = resolve(self.after, new)
        pair = (direction, id(old), id(new))
        if pair in self.compared:
            return
        self.compared[pair] = (old, new)
        if old_name and old_name == new_name:
            where, path = f"{direction} schema {old_name}", ""
        old_types, new_types = types(self.before, old), types(self.after, new)
        if direction == "request" and not all(takes(new_types, t) for t in old_types):
            self.report(where, f"type narrowed from {named(old_types)} to {named(new_types)}", path)
        if direction == "response" and not all(takes(old_types, t) for t in new_types):
            self.report(where, f"type changed from {named(old_types)} to {named(new_types)}", path)
        if not (members(old) or members(new)):
            self.rules(direction, where, path, old, new)
            return
        # Each kind of value both take, compared member to member (a `$ref` member keeps its
        # name, so a shared schema behind `X | None` is still compared once).
        for json_type in compared_types(old_types, new_types):
            old_one = alternative(self.before, old, json_type)
            new_one = alternative(self.after, new, json_type)
            self.schema(direction, where, path, old_one, new_one)

    def rules(self, direction: Direction, where: str, path: str, old: Any, new: Any) -> None:
        old_schema, new_schema = as_schema(old), as_schema(new)
        for change in _enum_changes(direction, old_schema, new_schema):
            self.report(where, change, path)
        if direction == "request":
            for change in _narrowed(old_schema, new_schema):
                self.report(where, change, path)
        self.members(direction, where, path, old_schema, new_schema)

    def members(self, direction: Direction, where: str, path: str, old: Json, new: Json) -> None:
        """Items, properties and additional properties, compared in turn."""
        if "items" in old and "items" in new:
            self.schema(direction, where, f"{path}[]", old["items"], new["items"])
        old_properties, new_properties = old.get("properties") or {}, new.get("properties") or {}
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        for name, old_property in old_properties.items():
            inner = f"{path}.{name}" if path else name
            if name not in new_properties:
                self.report(where, "removed", inner)
                continue
            if direction == "response" and name in old_required - new_required:
                self.report(where, "no longer always present", inner)
            self.schema(direction, where, inner, old_property, new_properties[name])
        if direction == "request":
            for name in sorted(new_required - old_required):
                self.report(where, "now required", f"{path}.{name}" if path else name)
            if new.get("additionalProperties") is False and old.get("additionalProperties", True):
                self.report(where, "other fields no longer taken", path)
        old_more, new_more = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_more, dict) and isinstance(new_more, dict):
            self.schema(direction, where, f"{path}.*" if path else "*", old_more, new_more)


def _security(document: Json, operation: Json) -> set[frozenset[str]]:
    """The sets of credentials an operation accepts (any one set will do; an empty one is
    none at all), its own or the document's."""
    requirements = operation.get("security", document.get("security")) or [{}]
    return {frozenset(requirement) for requirement in requirements}


def _parameters(document: Json, item: Json, operation: Json) -> Parameters:
    """An operation's parameters (its path's, then its own, which override) by place and name."""
    found: Parameters = {}
    for parameter in [*item.get("parameters", ()), *operation.get("parameters", ())]:
        parameter = resolve(document, parameter)[1]
        found[(parameter.get("in", ""), parameter.get("name", ""))] = parameter
    return found


def _enum_changes(direction: Direction, old: Json, new: Json) -> Iterator[str]:
    old_values, new_values = old.get("enum"), new.get("enum")
    if direction == "request" and new_values is not None:
        if old_values is None:
            yield "enum added"
        else:
            for value in old_values:
                if value not in new_values:
                    yield f"enum value {json.dumps(value)} removed"
    if direction == "response" and old_values is not None:
        if new_values is None:
            yield "enum removed"
        else:
            for value in new_values:
                if value not in old_values:
                    yield f"enum value {json.dumps(value)} added"
    if direction == "response" and "const" in old and new.get("const", ...) != old["const"]:
        yield f"const {json.dumps(old['const'])} changed"


def _narrowed(old: Json, new: Json) -> Iterator[str]:
    """How a request value's bounds and rules narrowed."""
    for bound in UPPER_BOUNDS:
        if bound in new and (bound not in old or new[bound] < old[bound]):
            yield _bound_change(bound, old, new, "lowered")
    for bound in LOWER_BOUNDS:
        if bound in new and (bound not in old or new[bound] > old[bound]):
            yield _bound_change(bound, old, new, "raised")
    for rule in EXACT_RULES:
        if rule in new and (rule not in old or new[rule] != old[rule]):
            yield _bound_change(rule, old, new, "changed")
    if new.get("uniqueItems") and not old.get("uniqueItems"):
        yield "uniqueItems added"


def _bound_change(rule: str, old: Json, new: Json, how: str) -> str:
    if rule not in old:
        return f"{rule} {json.dumps(new[rule])} added"
    return f"{rule} {how} from {json.dumps(old[rule])} to {json.dumps(new[rule])}"
