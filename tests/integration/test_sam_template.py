"""template.yaml as AWS would create it: transformed to CloudFormation by SAM's own translator,
then compared with what the code does (the AWS calls it makes, the files the layer ships)."""

import ast
import json
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_deployment_files import ROOT, function, template

SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"


@cache
def cloudformation() -> dict[str, Any]:
    assert SAM_PYTHON.exists(), "run `make lint-deploy` (it installs SAM CLI in .venv-sam)"
    printed = subprocess.run(
        [str(SAM_PYTHON), str(Path(__file__).parent / "sam_translate.py"), "template.yaml"],
        cwd=ROOT,
        env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    loaded: dict[str, Any] = json.loads(printed)
    return loaded


def resources(kind: str) -> dict[str, Any]:
    return {
        name: resource["Properties"]
        for name, resource in cloudformation()["Resources"].items()
        if resource["Type"] == kind
    }


def boto3_calls(module: Path, receiver: str) -> set[str]:
    """The client operations `module` calls on `receiver` (`self._client.update_item(...)`),
    as IAM actions (`UpdateItem`)."""
    calls = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and ast.unparse(node.func.value) == receiver
        ):
            calls.add("".join(word.title() for word in node.func.attr.split("_")))
    return calls


def role_statements(function_name: str) -> list[dict[str, Any]]:
    role = resources("AWS::IAM::Role")[f"{function_name}Role"]
    return [
        statement
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


DETAILS_MODULE = ROOT / "persistence" / "details.py"
RESOLVERS = ROOT / "gateway" / "resolvers"


def store_calls(module: Path) -> dict[str, set[str]]:
    """For each method of the details store: the DynamoDB actions it makes, itself or through
    the store's other methods (`claim_many` calls `claim`, which calls UpdateItem)."""
    (store,) = [
        node
        for node in ast.parse(module.read_text()).body
        if isinstance(node, ast.ClassDef) and node.name == "DynamoDetailStore"
    ]
    methods = {node.name: node for node in store.body if isinstance(node, ast.FunctionDef)}
    own: dict[str, set[str]] = {}
    uses: dict[str, set[str]] = {}
    for name, method in methods.items():
        own[name] = _calls_on(method, "self._client", as_action=True)
        uses[name] = _calls_on(method, "self", as_action=False) & set(methods)
    closed: dict[str, set[str]] = {}
    for name in methods:
        seen, todo, actions = set(), [name], set()
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                actions |= own[current]
                todo += uses[current]
        closed[name] = actions
    return closed


def _calls_on(tree: ast.AST, receiver: str, *, as_action: bool) -> set[str]:
    names = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and ast.unparse(node.func.value) == receiver
    }
    if not as_action:
        return names
    return {"".join(word.title() for word in name.split("_")) for name in names}


def actions_of(callers: list[Path]) -> set[str]:
    """The DynamoDB actions of every details-store method the `callers` modules call."""
    by_method = store_calls(DETAILS_MODULE)
    called = set().union(
        *(_calls_on(ast.parse(m.read_text()), "self._details", as_action=False) for m in callers)
    )
    return set().union(*(by_method[name] for name in called))


API_PATH = [RESOLVERS / "events.py", RESOLVERS / "writes.py", RESOLVERS / "erasure.py"]
RECONCILE_PATH = [RESOLVERS / "reconcile.py", RESOLVERS / "erasure.py"]


@pytest.mark.parametrize(
    ("function_name", "callers", "expected"),
    [
        ("ApiFunction", API_PATH, {"UpdateItem", "DeleteItem", "BatchGetItem", "DescribeTable"}),
        ("ReconcileFunction", RECONCILE_PATH, {"Scan", "BatchGetItem", "DeleteItem"}),
    ],
)
def test_each_role_grants_exactly_the_dynamodb_and_secrets_calls_its_code_makes(
    function_name: str, callers: list[Path], expected: set[str]
) -> None:
    """Each function's DynamoDB calls are those of the store methods its resolvers call (the
    readiness probe's `ping` included); creating the table (`ensure_details_table`) happens in
    local modes only, and the template never asks for it."""
    dynamodb = actions_of(callers) | (
        store_calls(DETAILS_MODULE)["ping"] if function_name == "ApiFunction" else set()
    )
    assert dynamodb == expected
    secrets = boto3_calls(ROOT / "gateway" / "stores.py", "client")
    assert secrets == {"GetSecretValue"}
    assert function()["Environment"]["Variables"]["EVENTLOG_CREATE_TABLES"] == ""
    table, secret, key = role_statements(function_name)
    assert (table["Resource"], set(table["Action"])) == (
        {"Fn::GetAtt": ["DetailsTable", "Arn"]},
        {f"dynamodb:{call}" for call in dynamodb},
    )
    assert (secret["Resource"], secret["Action"]) == (
        {"Ref": "DatabaseSecretArn"},
        "secretsmanager:GetSecretValue",
    )
    condition, decrypt, otherwise = key["Fn::If"]
    assert (condition, otherwise) == ("HasSecretKmsKey", {"Ref": "AWS::NoValue"})
    assert (decrypt["Action"], decrypt["Resource"]) == (
        "kms:Decrypt",
        {"Ref": "DatabaseSecretKmsKeyArn"},
    )
    assert decrypt["Condition"] == {
        "StringEquals": {
            "kms:ViaService": {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}
        }
    }


def test_every_store_call_of_persistence_is_granted_to_a_function() -> None:
    """No DynamoDB call in persistence/ goes unaccounted for (but the local table set-up)."""
    made = set().union(
        *(boto3_calls(module, "self._client") for module in (ROOT / "persistence").glob("*.py"))
    )
    assert made == actions_of(API_PATH) | actions_of(RECONCILE_PATH) | {"DescribeTable"}


@pytest.mark.parametrize("function_name", ["ApiFunction", "ReconcileFunction"])
def test_the_vpc_permissions_come_once_from_the_managed_policy(function_name: str) -> None:
    role = resources("AWS::IAM::Role")[f"{function_name}Role"]
    # X-Ray's write-only policy comes with the Tracing property (active under Tracing=ADOT):
    # SAM attaches it whatever the property's condition says; it reads nothing.
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    ]
    statements = role_statements(function_name)
    assert not [s for s in statements if "ec2:CreateNetworkInterface" in str(s)]


def test_function_logs_and_access_logs_go_to_log_groups_that_expire() -> None:
    groups = resources("AWS::Logs::LogGroup")
    assert groups == {
        "FunctionLogs": {"RetentionInDays": {"Ref": "LogRetentionDays"}},
        "AccessLogs": {"RetentionInDays": {"Ref": "LogRetentionDays"}},
        "ReconcileLogs": {"RetentionInDays": {"Ref": "LogRetentionDays"}},
    }
    functions = resources("AWS::Lambda::Function")
    assert functions["ApiFunction"]["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogs"}
    assert functions["ReconcileFunction"]["LoggingConfig"]["LogGroup"] == {"Ref": "ReconcileLogs"}
    (stage,) = resources("AWS::ApiGatewayV2::Stage").values()
    access = stage["AccessLogSettings"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["AccessLogs", "Arn"]}
    assert {"requestId", "route", "status", "latencyMs"} <= set(json.loads(access["Format"]))


def test_reserved_concurrency_is_a_parameter_that_zero_leaves_unset() -> None:
    parameter = template()["Parameters"]["ReservedConcurrency"]
    assert (parameter["Type"], parameter["Default"], parameter["MinValue"]) == ("Number", 0, 0)
    lambda_function = resources("AWS::Lambda::Function")["ApiFunction"]
    assert lambda_function["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "HasReservedConcurrency",
            {"Ref": "ReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }


def test_snapstart_is_offered_on_a_published_alias_that_the_api_calls() -> None:
    assert template()["Parameters"]["SnapStart"]["AllowedValues"] == ["None", "PublishedVersions"]
    lambda_function = resources("AWS::Lambda::Function")["ApiFunction"]
    assert lambda_function["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
    assert re.fullmatch(r"python3\.(1[2-9])", lambda_function["Runtime"])
    (alias,) = resources("AWS::Lambda::Alias").values()
    assert alias["Name"] == "live"
    (api,) = resources("AWS::ApiGatewayV2::Api").values()
    uris = {
        operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        for path in api["Body"]["paths"].values()
        for operation in path.values()
    }
    assert uris == {
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        "${ApiFunctionAliaslive}/invocations"
    }


def test_unknown_paths_and_methods_reach_the_function() -> None:
    (api,) = resources("AWS::ApiGatewayV2::Api").values()
    paths = api["Body"]["paths"]
    assert "x-amazon-apigateway-any-method" in paths["/{proxy+}"]
    assert "x-amazon-apigateway-any-method" in paths["/"]


def test_the_api_asks_the_jwt_authorizer_on_operations_only_and_answers_preflights() -> None:
    (api,) = resources("AWS::ApiGatewayV2::Api").values()
    body = api["Body"]
    security = {
        (method.upper(), path): operation["security"]
        for path, by_method in body["paths"].items()
        for method, operation in by_method.items()
    }
    guarded = {route for route, needed in security.items() if needed == [{"OidcToken": []}]}
    assert guarded == {
        ("POST", "/events"),
        ("POST", "/events/batch"),
        ("GET", "/events/{userId}"),
        ("GET", "/events/{userId}/{eventId}"),
        ("DELETE", "/events/{userId}"),
        ("DELETE", "/events/{userId}/{eventId}"),
        ("POST", "/graphql"),
    }
    assert all(
        needed == [{"NONE": []}] for route, needed in security.items() if route not in guarded
    )
    scheme = body["components"]["securitySchemes"]["OidcToken"]["x-amazon-apigateway-authorizer"]
    assert scheme["type"] == "jwt"
    assert scheme["identitySource"] == "$request.header.Authorization"
    condition, cors, _ = body["x-amazon-apigateway-cors"]["Fn::If"]
    assert condition == "AllowsCrossOrigin"
    assert cors["allowOrigins"] == {"Fn::Split": [",", ""]}  # the parameter's default, resolved
    assert cors["maxAge"] == 600


LAYER_MAKEFILE = ROOT / "layers" / "odbc" / "Makefile"


def test_sql_server_connections_verify_the_certificate_against_the_layers_rds_bundle() -> None:
    variables = function()["Environment"]["Variables"]
    url = variables["EVENTLOG_DATABASE_URL"]["Sub"]
    assert "Encrypt=yes" in url and "TrustServerCertificate" not in url
    bundle = re.search(r"^CA_BUNDLE := (\S+)$", LAYER_MAKEFILE.read_text(), re.MULTILINE)
    assert bundle, "layers/odbc/Makefile names no CA_BUNDLE"
    # Lambda extracts a layer under /opt; the Makefile writes into the layer's root.
    assert variables["SSL_CERT_FILE"] == "/opt/" + bundle.group(1)
    assert variables["ODBCSYSINI"] == "/opt/etc"


def test_the_reconcile_job_runs_on_a_schedule_from_the_api_functions_artifact() -> None:
    import gateway.reconcile
    from gateway.settings import Settings

    declared = template()["Resources"]
    job, api = declared["ReconcileFunction"], declared["ApiFunction"]
    assert job["Metadata"] == api["Metadata"] == {"BuildMethod": "makefile"}
    assert job["Properties"]["CodeUri"] == api["Properties"]["CodeUri"]
    makefile = (ROOT / "Makefile").read_text()
    assert "\nbuild-ReconcileFunction: build-ApiFunction\n" in makefile
    module, name = job["Properties"]["Handler"].rsplit(".", 1)
    assert module == gateway.reconcile.__name__ and callable(getattr(gateway.reconcile, name))
    properties = resources("AWS::Lambda::Function")["ReconcileFunction"]
    assert (properties["Timeout"], properties["ReservedConcurrentExecutions"]) == (900, 1)
    variables = properties["Environment"]["Variables"]
    assert variables["EVENTLOG_AUTH"] == "none"
    assert variables["EVENTLOG_RECONCILE_APPLY"] == {"Ref": "ReconcileApply"}
    fields = {f"EVENTLOG_{field.upper()}" for field in Settings.model_fields}
    assert {name for name in variables if name.startswith("EVENTLOG_")} <= fields
    assert template()["Parameters"]["ReconcileApply"]["Default"] == "false"
    (schedule,) = resources("AWS::Scheduler::Schedule").values()
    assert schedule["ScheduleExpression"] == {"Ref": "ReconcileSchedule"}
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["ReconcileFunction", "Arn"]}
    assert schedule["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 0}
