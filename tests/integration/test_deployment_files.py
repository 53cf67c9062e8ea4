"""template.yaml and docker-compose.yml promise what the code and the README rely on."""

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from fastapi.routing import APIRoute
from starlette.routing import Route

from gateway.app import create_app
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads !Ref, !Sub, !GetAtt ... as {"Ref": ...}-style mappings."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = loader.construct_mapping(node)  # type: ignore[arg-type]
    return {suffix: value}


_CloudFormationLoader.add_multi_constructor("!", _tag)


def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load((ROOT / "template.yaml").read_text(), _CloudFormationLoader)
    return loaded


def function() -> dict[str, Any]:
    properties: dict[str, Any] = template()["Resources"]["ApiFunction"]["Properties"]
    return properties


def test_the_function_runs_our_handler_on_a_current_python() -> None:
    import gateway.lambda_handler

    module, name = function()["Handler"].rsplit(".", 1)
    assert module == gateway.lambda_handler.__name__ and callable(
        getattr(gateway.lambda_handler, name)
    )
    runtime = template()["Globals"]["Function"]["Runtime"]
    assert re.fullmatch(r"python3\.(1[2-9])", runtime)


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


def test_every_route_the_app_serves_is_routed_by_the_api() -> None:
    served = served_routes(create_app(Settings()).routes)
    assert ("POST", "/graphql") in served
    routed = {
        (event["Properties"]["Method"], event["Properties"]["Path"])
        for event in function()["Events"].values()
    }
    assert routed == served


def test_the_api_stage_is_throttled_and_the_table_is_protected() -> None:
    resources = template()["Resources"]
    settings = resources["Api"]["Properties"]["DefaultRouteSettings"]
    assert set(settings) == {"ThrottlingRateLimit", "ThrottlingBurstLimit"}
    table = resources["DetailsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["KeySchema"] == [{"AttributeName": "eventId", "KeyType": "HASH"}]


def test_the_function_may_touch_only_its_table_and_its_secret() -> None:
    statements = [
        statement
        for policy in function()["Policies"]
        if "Statement" in policy
        for statement in policy["Statement"]
    ]
    assert {str(statement["Resource"]) for statement in statements} == {
        str({"GetAtt": "DetailsTable.Arn"}),
        str({"Ref": "DatabaseSecretArn"}),
    }
    actions = {action for statement in statements for action in _list(statement["Action"])}
    assert actions == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeTable",
        "secretsmanager:GetSecretValue",
    }


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_no_password_is_a_parameter_or_an_environment_variable() -> None:
    parameters = template()["Parameters"]
    assert not [name for name in parameters if "password" in name.lower()]
    variables = function()["Environment"]["Variables"]
    assert variables["EVENTLOG_DATABASE_SECRET_ARN"] == {"Ref": "DatabaseSecretArn"}
    assert variables["EVENTLOG_SQL_POOL_SIZE"] == "1"
    assert "@secret/" in variables["EVENTLOG_DATABASE_URL"]["Sub"]
    assert not [name for name in variables if "PASSWORD" in name or name[-6:] == "SECRET"]


def test_the_lambda_requirements_follow_the_projects_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(dependency) for dependency in project["dependencies"]} - {"uvicorn"}
    lines = (ROOT / "requirements-lambda.txt").read_text().splitlines()
    listed = {_name(line) for line in lines if line and not line.startswith("#")}
    assert listed == wanted | {"pyodbc"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0].lower()


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_sql_server_2022_and_dynamodb_local_with_health_checks_and_volumes() -> None:
    services = compose()["services"]
    assert services["sqlserver"]["image"] == "mcr.microsoft.com/mssql/server:2022-latest"
    assert services["dynamodb"]["image"] == "amazon/dynamodb-local:latest"
    assert services["sqlserver"]["ports"] == ["127.0.0.1:1433:1433"]
    assert services["dynamodb"]["ports"] == ["127.0.0.1:8001:8000"]
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]
    for name in ("sqlserver", "dynamodb", "api"):
        assert services[name]["healthcheck"]["test"][0] == "CMD-SHELL"
    assert services["dynamodb"]["volumes"] == ["dynamodb-data:/home/dynamodblocal/data"]
    assert set(compose()["volumes"]) == {"sqlserver-data", "dynamodb-data"}
    assert compose()["networks"]["default"]["name"] == "eventlog"


def test_compose_initialises_in_order_and_takes_passwords_from_env() -> None:
    services = compose()["services"]
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["api"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "create-table": {"condition": "service_completed_successfully"},
    }
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${MSSQL_SA_PASSWORD" in text and "Change-me" not in text
    example = (ROOT / ".env.example").read_text()
    assert "MSSQL_SA_PASSWORD=" in example and "EVENTLOG_CURSOR_SECRET=" in example


def test_sam_local_env_points_at_the_compose_services() -> None:
    import json

    variables = json.loads((ROOT / "env.json").read_text())["ApiFunction"]
    assert "@sqlserver:1433/eventlog" in variables["EVENTLOG_DATABASE_URL"]
    assert variables["EVENTLOG_DYNAMODB_ENDPOINT"] == "http://dynamodb:8000"
    assert set(variables) <= set(function()["Environment"]["Variables"]) | {
        "EVENTLOG_CURSOR_SECRET"
    }
