"""template.yaml as AWS would create it: transformed to CloudFormation by SAM's own translator,
then compared with what the code does (the AWS calls it makes, the files the layer ships)."""

import ast
import json
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

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


def role_statements() -> list[dict[str, Any]]:
    (role,) = resources("AWS::IAM::Role").values()
    return [
        statement
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def test_the_role_grants_exactly_the_dynamodb_and_secrets_calls_the_code_makes() -> None:
    """The details store calls DynamoDB only through `self._client`; creating the table
    (`ensure_details_table`) happens in local modes only, and the template never asks for it."""
    dynamodb = set().union(
        *(boto3_calls(module, "self._client") for module in (ROOT / "persistence").glob("*.py"))
    )
    assert dynamodb == {"UpdateItem", "DeleteItem", "BatchGetItem", "DescribeTable"}
    secrets = boto3_calls(ROOT / "gateway" / "stores.py", "client")
    assert secrets == {"GetSecretValue"}
    assert function()["Environment"]["Variables"]["EVENTLOG_CREATE_TABLES"] == ""
    table, secret, key = role_statements()
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


def test_the_vpc_permissions_come_once_from_the_managed_policy() -> None:
    (role,) = resources("AWS::IAM::Role").values()
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    ]
    assert not [s for s in role_statements() if "ec2:CreateNetworkInterface" in str(s)]


def test_function_logs_and_access_logs_go_to_log_groups_that_expire() -> None:
    groups = resources("AWS::Logs::LogGroup")
    assert groups == {
        "FunctionLogs": {"RetentionInDays": {"Ref": "LogRetentionDays"}},
        "AccessLogs": {"RetentionInDays": {"Ref": "LogRetentionDays"}},
    }
    (lambda_function,) = resources("AWS::Lambda::Function").values()
    assert lambda_function["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogs"}
    (stage,) = resources("AWS::ApiGatewayV2::Stage").values()
    access = stage["AccessLogSettings"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["AccessLogs", "Arn"]}
    assert {"requestId", "route", "status", "latencyMs"} <= set(json.loads(access["Format"]))


def test_reserved_concurrency_is_a_parameter_that_zero_leaves_unset() -> None:
    parameter = template()["Parameters"]["ReservedConcurrency"]
    assert (parameter["Type"], parameter["Default"], parameter["MinValue"]) == ("Number", 0, 0)
    (lambda_function,) = resources("AWS::Lambda::Function").values()
    assert lambda_function["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "HasReservedConcurrency",
            {"Ref": "ReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }


def test_snapstart_is_offered_on_a_published_alias_that_the_api_calls() -> None:
    assert template()["Parameters"]["SnapStart"]["AllowedValues"] == ["None", "PublishedVersions"]
    (lambda_function,) = resources("AWS::Lambda::Function").values()
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
        ("GET", "/events/{userId}"),
        ("GET", "/events/{userId}/{eventId}"),
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
