"""template.yaml and docker-compose.yml promise what the code and the docs rely on."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml
from fastapi.routing import APIRoute
from starlette.routing import Route

from gateway.app import create_app
from gateway.settings import Settings
from gateway.stores import sql_url
from tests.conftest import PASSWORD, pyodbc_connection_string

ROOT = Path(__file__).resolve().parents[2]


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


# Everything else goes to the app as well, which answers problem+json 404/405.
CATCH_ALL_ROUTES = {("ANY", "/{proxy+}"), ("ANY", "/")}


def test_every_route_the_app_serves_is_routed_by_the_api_and_the_rest_reaches_the_app() -> None:
    # As the template configures it: metrics as EMF lines, so no /metrics (Prometheus') route.
    served = served_routes(create_app(Settings(metrics="emf")).routes)
    assert ("POST", "/graphql") in served
    routed = {
        (event["Properties"]["Method"], event["Properties"]["Path"])
        for event in function()["Events"].values()
    }
    assert routed == served | CATCH_ALL_ROUTES


def test_the_api_stage_is_throttled_and_the_table_is_protected() -> None:
    resources = template()["Resources"]
    settings = resources["Api"]["Properties"]["DefaultRouteSettings"]
    assert set(settings) == {"ThrottlingRateLimit", "ThrottlingBurstLimit"}
    table = resources["DetailsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["KeySchema"] == [{"AttributeName": "eventId", "KeyType": "HASH"}]


def test_no_password_is_a_parameter_or_an_environment_variable() -> None:
    parameters = template()["Parameters"]
    assert not [name for name in parameters if "password" in name.lower()]
    variables = function()["Environment"]["Variables"]
    assert variables["EVENTLOG_DATABASE_SECRET_ARN"] == {"Ref": "DatabaseSecretArn"}
    assert variables["EVENTLOG_SQL_POOL_SIZE"] == "1"
    assert "@secret/" in variables["EVENTLOG_DATABASE_URL"]["Sub"]
    # Declared so that `sam local` may set them; on AWS they come from the secret.
    secrets = {
        name: value
        for name, value in variables.items()
        if "PASSWORD" in name or name[-6:] == "SECRET"
    }
    assert secrets == {"EVENTLOG_DATABASE_PASSWORD": "", "EVENTLOG_CURSOR_SECRET": ""}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_pinned_sql_server_2022_and_dynamodb_local_with_checks_and_volumes() -> None:
    services = compose()["services"]
    images = {name: service["image"] for name, service in services.items()}
    assert images["sqlserver"].startswith("mcr.microsoft.com/mssql/server:2022-CU")
    assert images["dynamodb"].startswith("amazon/dynamodb-local:2.")
    assert not [image for image in images.values() if ":" not in image or image.endswith(":latest")]
    assert services["sqlserver"]["ports"] == ["127.0.0.1:1433:1433"]
    # Bounded memory: its buffer pool, and the container around it.
    assert services["sqlserver"]["environment"]["MSSQL_MEMORY_LIMIT_MB"] == (
        "${MSSQL_MEMORY_LIMIT_MB:-2048}"
    )
    assert services["sqlserver"]["mem_limit"] == "3g"
    assert services["dynamodb"]["ports"] == ["127.0.0.1:8001:8000"]
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]
    for name in ("sqlserver", "dynamodb", "api"):
        assert services[name]["healthcheck"]["test"][0] == "CMD-SHELL"
    assert services["dynamodb"]["volumes"] == ["dynamodb-data:/home/dynamodblocal/data"]
    assert set(compose()["volumes"]) == {"sqlserver-data", "dynamodb-data"}
    assert compose()["networks"]["default"]["name"] == "eventlog"


def test_the_app_image_is_built_once_and_migrate_runs_it() -> None:
    services = compose()["services"]
    built = [name for name, service in services.items() if "build" in service]
    assert built == ["api"]
    assert services["migrate"]["image"] == services["api"]["image"] == "eventlog-api:local"
    assert services["migrate"]["pull_policy"] == "never"


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


def resolved_compose(env_file: Path) -> dict[str, Any]:
    """docker-compose.yml as Compose itself reads it, variables substituted from `env_file`."""
    printed = subprocess.run(
        [
            "docker-compose",
            "-f",
            str(ROOT / "docker-compose.yml"),
            "--env-file",
            str(env_file),
            "config",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    loaded: dict[str, Any] = yaml.safe_load(printed)
    return loaded


def test_a_password_with_url_delimiters_reaches_the_app_and_the_migrations_intact(
    tmp_path: Path,
) -> None:
    """`P@ssw0rd#2026` spliced into a URL would make `ssw0rd#2026@sqlserver` the host."""
    env_file = tmp_path / ".env"
    env_file.write_text(f"MSSQL_SA_PASSWORD={PASSWORD}\nEVENTLOG_CURSOR_SECRET={'c' * 40}\n")
    services = resolved_compose(env_file)["services"]
    for name in ("api", "migrate"):
        variables = services[name]["environment"]
        settings = Settings(
            database_url=variables["EVENTLOG_DATABASE_URL"],
            database_password=variables["EVENTLOG_DATABASE_PASSWORD"],
            dynamodb_endpoint="http://dynamodb:8000",
            cursor_secret="c" * 40,
        )
        url = sql_url(settings)
        assert (url.username, url.password, url.host, url.port) == (
            "sa",
            PASSWORD,
            "sqlserver",
            1433,
        )
        assert f"PWD={PASSWORD}" in pyodbc_connection_string(url).split(";")
    assert services["sqlserver"]["environment"]["MSSQL_SA_PASSWORD"] == PASSWORD


def test_the_dockerfile_builds_for_the_build_platform_runs_unprivileged_and_has_a_healthcheck() -> (
    None
):
    import dockerfile

    commands = dockerfile.parse_file(str(ROOT / "Dockerfile"))
    by_name = [command.cmd.upper() for command in commands]
    runs = " ".join(" ".join(command.value) for command in commands if command.cmd.upper() == "RUN")
    assert "arch=$(dpkg --print-architecture)" in runs and "amd64" not in runs
    users = [command.value[0] for command in commands if command.cmd.upper() == "USER"]
    assert users == ["eventlog"] and by_name.index("USER") < by_name.index("CMD")
    assert "useradd --system --uid 10001" in runs
    (healthcheck,) = [command for command in commands if command.cmd.upper() == "HEALTHCHECK"]
    assert healthcheck.value[0] == "CMD" and "http://127.0.0.1:8000/health" in healthcheck.value
    (base,) = [command.value[0] for command in commands if command.cmd.upper() == "FROM"]
    assert re.fullmatch(r"python:3\.1[2-9]-slim-\w+@sha256:[0-9a-f]{64}", base)
    # Compiled as root, after the code is copied and before the server's user takes over.
    compile_step = "python -m compileall -q gateway schema persistence migrations"
    assert compile_step in runs
    assert by_name.index("USER") > max(
        index for index, command in enumerate(commands) if compile_step in " ".join(command.value)
    )
    updates = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())["updates"]
    assert [
        update["directory"] for update in updates if update["package-ecosystem"] == "docker"
    ] == ["/"]


def env_json() -> dict[str, str]:
    variables: dict[str, str] = json.loads((ROOT / "env.example.json").read_text())["ApiFunction"]
    return variables


def test_every_variable_the_app_reads_is_declared_for_sam_local() -> None:
    """`sam local start-api --env-vars env.json` (made from env.example.json) applies only
    variables the template declares: one left out (the cursor secret was) never reaches the app."""
    declared = {
        name for name in function()["Environment"]["Variables"] if name.startswith("EVENTLOG_")
    }
    assert declared == {f"EVENTLOG_{name.upper()}" for name in Settings.model_fields}
    assert set(env_json()) <= declared


def test_the_real_env_json_is_never_committed() -> None:
    """env.json holds a password and a cursor key: git ignores it; the example holds neither."""
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "env.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.stdout.strip() == "env.json"
    example = env_json()
    assert example["EVENTLOG_DATABASE_PASSWORD"].startswith("the MSSQL_SA_PASSWORD of your .env")
    assert example["EVENTLOG_CURSOR_SECRET"].startswith("the EVENTLOG_CURSOR_SECRET of your .env")


def test_sam_local_settings_point_at_the_compose_services_and_their_table() -> None:
    declared = dict.fromkeys(function()["Environment"]["Variables"], "")
    local = {
        name: value
        for name, value in (declared | env_json()).items()
        if name.startswith("EVENTLOG_")
    }
    given: dict[str, Any] = {
        name.removeprefix("EVENTLOG_").lower(): value for name, value in local.items() if value
    }
    settings = Settings(**given)
    url = sql_url(settings)
    assert (url.host, url.port, url.database, url.password) == (
        "sqlserver",
        1433,
        "eventlog",
        env_json()["EVENTLOG_DATABASE_PASSWORD"],
    )
    assert settings.dynamodb_endpoint == "http://dynamodb:8000"
    create_table = " ".join(compose()["services"]["create-table"]["command"])
    assert f"--table-name {settings.details_table} " in create_table
    assert settings.cursor_secret is not None


def routes_by_auth() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(guarded, public) routes of the HTTP API: public ones opt out of the default authorizer."""
    guarded: set[tuple[str, str]] = set()
    public: set[tuple[str, str]] = set()
    for event in function()["Events"].values():
        properties = event["Properties"]
        route = (properties["Method"], properties["Path"])
        opted_out = properties.get("Auth") == {"Authorizer": "NONE"}
        (public if opted_out else guarded).add(route)
    return guarded, public


def test_every_operation_route_passes_the_jwt_authorizer_and_only_pages_and_probes_do_not() -> None:
    spec = create_app(Settings()).openapi()
    operations = {
        (method.upper(), path)
        for path, by_method in spec["paths"].items()
        for method, operation in by_method.items()
        if operation.get("security") == [{"bearerAuth": []}]
    }
    guarded, public = routes_by_auth()
    # POST /graphql carries the GraphQL operations; GET /graphql is also the GraphiQL page. The
    # catch-alls reach only the app's 404/405, its assets and its CORS preflight answers (an
    # authorizer there would refuse every preflight, which carries no token).
    assert guarded == operations | {("POST", "/graphql")}
    assert (
        public
        == {
            ("GET", "/health"),
            ("GET", "/health/ready"),
            ("GET", "/openapi.json"),
            ("GET", "/docs"),
            ("GET", "/redoc"),
            ("GET", "/graphql"),
        }
        | CATCH_ALL_ROUTES
    )
    auth = template()["Resources"]["Api"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "OidcToken"
    assert auth["Authorizers"]["OidcToken"] == {
        "IdentitySource": "$request.header.Authorization",
        "JwtConfiguration": {"issuer": {"Ref": "AuthIssuer"}, "audience": {"Ref": "AuthAudience"}},
    }


def test_the_app_checks_the_same_issuer_and_audience_again() -> None:
    variables = function()["Environment"]["Variables"]
    assert variables["EVENTLOG_AUTH"] == "jwt"
    assert variables["EVENTLOG_AUTH_ISSUER"] == {"Ref": "AuthIssuer"}
    assert variables["EVENTLOG_AUTH_AUDIENCE"] == {"Join": [",", {"Ref": "AuthAudience"}]}
    assert variables["EVENTLOG_AUTH_JWKS_URL"] == {"Ref": "AuthJwksUrl"}
    parameters = template()["Parameters"]
    assert "Default" not in parameters["AuthIssuer"] and "Default" not in parameters["AuthAudience"]


def test_api_gateway_answers_preflights_with_the_apps_cors_rules() -> None:
    from gateway.cors import (
        CORS_ALLOW_HEADERS,
        CORS_ALLOW_METHODS,
        CORS_EXPOSE_HEADERS,
        CORS_MAX_AGE_SECONDS,
    )

    condition, configured, absent = template()["Resources"]["Api"]["Properties"][
        "CorsConfiguration"
    ]["If"]
    assert (condition, absent) == ("AllowsCrossOrigin", {"Ref": "AWS::NoValue"})
    assert configured == {
        "AllowOrigins": {"Split": [",", {"Ref": "CorsAllowOrigins"}]},
        "AllowMethods": list(CORS_ALLOW_METHODS),
        "AllowHeaders": [header.lower() for header in CORS_ALLOW_HEADERS],
        "ExposeHeaders": [header.lower() for header in CORS_EXPOSE_HEADERS],
        "MaxAge": CORS_MAX_AGE_SECONDS,
    }
    variables = function()["Environment"]["Variables"]
    assert variables["EVENTLOG_CORS_ALLOW_ORIGINS"] == {"Ref": "CorsAllowOrigins"}


def test_local_runs_say_how_callers_authenticate() -> None:
    example = (ROOT / ".env.example").read_text()
    assert "\nEVENTLOG_AUTH=" in example
    assert "EVENTLOG_AUTH" in compose()["services"]["api"]["environment"]
    assert env_json()["EVENTLOG_AUTH"] == "none"
