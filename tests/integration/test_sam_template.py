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
    """The DynamoDB actions of every details-store method the `callers` modules call (on the
    resolver's store, or on one passed to a function as `details`)."""
    by_method = store_calls(DETAILS_MODULE)
    called = set().union(
        *(
            _calls_on(ast.parse(module.read_text()), receiver, as_action=False)
            for module in callers
            for receiver in ("self._details", "details")
        )
    )
    return set().union(*(by_method[name] for name in called))


API_PATH = [RESOLVERS / "events.py", RESOLVERS / "writes.py", RESOLVERS / "erasure.py"]
RECONCILE_PATH = [RESOLVERS / "reconcile.py", RESOLVERS / "orphans.py", RESOLVERS / "erasure.py"]
CLAIM_CHECK_PATH = [RESOLVERS / "claim_checks.py", RESOLVERS / "orphans.py"]
RETENTION_PATH = [RESOLVERS / "retention.py", RESOLVERS / "erasure.py"]
# The functions that reach both stores.
STORE_FUNCTIONS = ["ApiFunction", "ReconcileFunction", "ClaimCheckFunction", "RetentionFunction"]


@pytest.mark.parametrize(
    ("function_name", "callers", "expected"),
    [
        ("ApiFunction", API_PATH, {"UpdateItem", "DeleteItem", "BatchGetItem", "DescribeTable"}),
        ("ReconcileFunction", RECONCILE_PATH, {"Scan", "BatchGetItem", "DeleteItem"}),
        ("ClaimCheckFunction", CLAIM_CHECK_PATH, {"BatchGetItem", "DeleteItem"}),
        ("RetentionFunction", RETENTION_PATH, {"BatchGetItem", "DeleteItem"}),
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
    # SAM's own statement for a failure destination (sqs:SendMessage) is checked apart.
    table, secret, key = [s for s in role_statements(function_name) if "sqs:" not in str(s)]
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
        *(
            boto3_calls(module, "self._client")
            for module in (ROOT / "persistence").glob("*.py")
            if module.name != "check_queue.py"
        )
    )
    granted = [API_PATH, RECONCILE_PATH, CLAIM_CHECK_PATH, RETENTION_PATH]
    assert made == set().union(*map(actions_of, granted)) | {"DescribeTable"}


def test_the_claim_checks_queue_and_read_exactly_their_queue_and_stream() -> None:
    """The queue adapter's one call (SendMessageBatch is sqs:SendMessage); the stream function
    reads the table's streams only; the check function reads its queue and queues again."""
    assert boto3_calls(ROOT / "persistence" / "check_queue.py", "self._client") == {
        "SendMessageBatch"
    }
    stream_reader, sender = role_statements("ClaimStreamFunction")
    assert stream_reader["Resource"] == {"Fn::Sub": "${DetailsTable.Arn}/stream/*"}
    assert set(stream_reader["Action"]) == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    assert (sender["Action"], sender["Resource"]) == (
        "sqs:SendMessage",
        [
            {"Fn::GetAtt": ["ClaimCheckQueue", "Arn"]},
            {"Fn::GetAtt": ["ReconcileDeadLetterQueue", "Arn"]},
        ],
    )
    *_, queue = role_statements("ClaimCheckFunction")
    assert queue["Resource"] == {"Fn::GetAtt": ["ClaimCheckQueue", "Arn"]}
    assert set(queue["Action"]) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:SendMessage",
    }
    role = resources("AWS::IAM::Role")["ClaimStreamFunctionRole"]
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    ]


def test_every_claim_is_checked_after_the_grace_period_from_the_tables_keys_only_stream() -> None:
    import gateway.claim_checks

    table = template()["Resources"]["DetailsTable"]["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}
    mappings = resources("AWS::Lambda::EventSourceMapping")
    stream = mappings["ClaimStreamMapping"]
    assert stream["EventSourceArn"] == {"Fn::GetAtt": ["DetailsTable", "StreamArn"]}
    assert stream["FunctionName"] == {"Ref": "ClaimStreamFunction"}
    assert json.loads(stream["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "eventName": ["INSERT", "MODIFY"]
    }
    check = mappings["ClaimCheckMapping"]
    assert check["EventSourceArn"] == {"Fn::GetAtt": ["ClaimCheckQueue", "Arn"]}
    assert check["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    functions = resources("AWS::Lambda::Function")
    for name in ("ClaimStreamFunction", "ClaimCheckFunction"):
        module, handler = functions[name]["Handler"].rsplit(".", 1)
        assert module == gateway.claim_checks.__name__
        assert callable(getattr(gateway.claim_checks, handler))
        variables = functions[name]["Environment"]["Variables"]
        assert variables["EVENTLOG_RECONCILE_QUEUE_URL"] == {"Ref": "ClaimCheckQueue"}
    assert "VpcConfig" not in functions["ClaimStreamFunction"]  # no database: no VPC
    queue = resources("AWS::SQS::Queue")["ClaimCheckQueue"]
    assert queue["VisibilityTimeout"] >= 6 * functions["ClaimCheckFunction"]["Timeout"]


def test_every_failure_of_the_jobs_ends_in_the_dead_letter_queue_whose_alarm_watches_it() -> None:
    dead = {"Fn::GetAtt": ["ReconcileDeadLetterQueue", "Arn"]}
    queue = resources("AWS::SQS::Queue")["ClaimCheckQueue"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == dead
    stream = resources("AWS::Lambda::EventSourceMapping")["ClaimStreamMapping"]
    assert stream["DestinationConfig"] == {"OnFailure": {"Destination": dead}}
    invoke_configs = {
        config["FunctionName"]["Ref"]: config
        for config in resources("AWS::Lambda::EventInvokeConfig").values()
    }
    for name in ("ReconcileFunction", "RetentionFunction"):
        config = invoke_configs[name]
        assert config["DestinationConfig"] == {"OnFailure": {"Destination": dead}}
        assert config["MaximumRetryAttempts"] == 0
    (machine,) = resources("AWS::StepFunctions::StateMachine").values()
    assert machine["DefinitionSubstitutions"]["DeadLetterQueueUrl"] == {
        "Ref": "ReconcileDeadLetterQueue"
    }
    definition = template()["Resources"]["ReconcileAuditStateMachine"]["Properties"]["Definition"]
    states = definition["States"]
    assert states["Sweep"]["Catch"][0]["Next"] == "ReportFailure"
    assert states["ReportFailure"]["Resource"] == "arn:aws:states:::sqs:sendMessage"
    assert states["Sweep"]["Parameters"]["Payload"] == {
        "sweep": True,
        "checkpoint.$": "$.checkpoint",
    }
    assert states["Swept"]["Default"] == "Sweep"  # until the function answers complete
    alarm = resources("AWS::CloudWatch::Alarm")["ReconcileDeadLetterAlarm"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ReconcileDeadLetterQueue", "QueueName"]}}
    ]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_retention_runs_daily_only_when_a_number_of_days_is_set() -> None:
    import gateway.retention

    assert template()["Parameters"]["RetentionDays"]["Default"] == 0
    function_properties = resources("AWS::Lambda::Function")["RetentionFunction"]
    module, name = function_properties["Handler"].rsplit(".", 1)
    assert module == gateway.retention.__name__ and callable(getattr(gateway.retention, name))
    variables = function_properties["Environment"]["Variables"]
    assert variables["EVENTLOG_RETENTION_DAYS"] == {
        "Fn::If": ["HasRetention", {"Ref": "RetentionDays"}, ""]
    }
    (schedule,) = [
        s
        for s in resources("AWS::Scheduler::Schedule").values()
        if s["Target"]["Arn"] == {"Fn::GetAtt": ["RetentionFunction", "Arn"]}
    ]
    assert schedule["State"] == {"Fn::If": ["HasRetention", "ENABLED", "DISABLED"]}


# The functions Tracing=ADOT traces: the API and the reconcile job.
TRACED = {"ApiFunction", "ReconcileFunction"}


@pytest.mark.parametrize("function_name", STORE_FUNCTIONS)
def test_the_vpc_permissions_come_once_from_the_managed_policy(function_name: str) -> None:
    role = resources("AWS::IAM::Role")[f"{function_name}Role"]
    # X-Ray's write-only policy comes with the Tracing property of the traced functions (active
    # under Tracing=ADOT): SAM attaches it whatever the property's condition says; it reads
    # nothing.
    traced = ["arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"] if function_name in TRACED else []
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        *traced,
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
        "RetentionLogs": {"RetentionInDays": {"Ref": "LogRetentionDays"}},
    }
    functions = resources("AWS::Lambda::Function")
    assert functions["ApiFunction"]["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogs"}
    for job in ("ReconcileFunction", "ClaimStreamFunction", "ClaimCheckFunction"):
        assert functions[job]["LoggingConfig"]["LogGroup"] == {"Ref": "ReconcileLogs"}
    assert functions["RetentionFunction"]["LoggingConfig"]["LogGroup"] == {"Ref": "RetentionLogs"}
    (stage,) = resources("AWS::ApiGatewayV2::Stage").values()
    access = stage["AccessLogSettings"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["AccessLogs", "Arn"]}
    assert {"requestId", "route", "status", "latencyMs"} <= set(json.loads(access["Format"]))


def test_reserved_concurrency_bounds_sql_sessions_by_default_and_zero_leaves_it_unset() -> None:
    """A burst while SQL Server is slow would otherwise scale to the account's limit, each new
    container logging in with TLS: the login storm comes when the database can least take it."""
    parameter = template()["Parameters"]["ReservedConcurrency"]
    assert (parameter["Type"], parameter["Default"], parameter["MinValue"]) == ("Number", 50, 0)
    assert "RDS Proxy" in parameter["Description"]
    rotation = template()["Parameters"]["DatabaseSecretArn"]["Description"]
    assert "alternating users" in rotation and "refuses the login" in rotation
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
    assert (
        "\nbuild-ReconcileFunction build-ClaimStreamFunction build-ClaimCheckFunction "
        "build-RetentionFunction: build-ApiFunction\n"
    ) in makefile
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
    schedules = {
        str(schedule["ScheduleExpression"]): schedule
        for schedule in resources("AWS::Scheduler::Schedule").values()
    }
    hourly = schedules[str({"Ref": "ReconcileSchedule"})]
    assert hourly["Target"]["Arn"] == {"Fn::GetAtt": ["ReconcileFunction", "Arn"]}
    assert hourly["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 0}
    audit = schedules[str({"Ref": "AuditSchedule"})]
    assert audit["Target"]["Arn"] == {"Ref": "ReconcileAuditStateMachine"}
    assert json.loads(audit["Target"]["Input"]) == {"checkpoint": None}
