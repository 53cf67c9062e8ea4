"""The deployment files as tests read them: template.yaml with CloudFormation tags, and the
routes an app serves."""

from pathlib import Path
from typing import Any

import yaml
from fastapi.routing import APIRoute
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads !Ref, !Sub, !GetAtt ... as {"Ref": ...}-style mappings."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = loader.construct_mapping(node)
    return {suffix: value}


_CloudFormationLoader.add_multi_constructor("!", _tag)


def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load((ROOT / "template.yaml").read_text(), _CloudFormationLoader)
    return loaded


def function() -> dict[str, Any]:
    properties: dict[str, Any] = template()["Resources"]["ApiFunction"]["Properties"]
    return properties


def served_routes(routes: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(method, path) of every HTTP route, included routers and their prefixes too."""
    served: set[tuple[str, str]] = set()
    for route in routes:
        if hasattr(route, "original_router"):
            context = route.include_context
            served |= served_routes(route.original_router.routes, prefix + context.prefix)
        elif isinstance(route, APIRoute | Route) and route.methods:
            served |= {(method, prefix + route.path) for method in route.methods - {"HEAD"}}
    return served
