"""A start refused, by `python -m gateway`, the reconcile CLI or the Lambda handler's init, says
what is wrong and never shows a secret: not the cursor secret, not the database password (apart
or in DATABASE_URL), not anything read from Secrets Manager, whole or any six characters of it."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.docs import ROOT
from tests.e2e.servers import RunningServer, serve
from tests.stores import closed_port

# Distinctive, so that any six characters of one in an output can only have come from it.
CURSOR_SECRET = "Kq7ZxPw9LmRt8VbNc6HyJd5FsGkQ2Wu4"
SHORT_CURSOR_SECRET = "Zq8Wm3Kx5T"
DATABASE_PASSWORD = "Vh3NpQ8sLx2RwT6m"
URL_PASSWORD = "Jb5WcZ9kGr1YfD7t"
SECRETS = [CURSOR_SECRET, SHORT_CURSOR_SECRET, DATABASE_PASSWORD, URL_PASSWORD]
LASTING_URL = f"mssql+pyodbc://app:{URL_PASSWORD}@db.internal/eventlog?driver=FreeTDS"
LASTING = {
    "EVENTLOG_DATABASE_URL": LASTING_URL,
    "EVENTLOG_DATABASE_PASSWORD": DATABASE_PASSWORD,
    "EVENTLOG_DYNAMODB_ENDPOINT": "aws",
    "EVENTLOG_CURSOR_SECRET": CURSOR_SECRET,
}
ISSUER = {
    "EVENTLOG_AUTH": "jwt",
    "EVENTLOG_AUTH_ISSUER": "https://issuer.example",
    "EVENTLOG_AUTH_AUDIENCE": "eventlog",
    "EVENTLOG_AUTH_JWKS_URL": "https://issuer.example/jwks.json",
}
NOT_SET = ""

# Each configuration Settings refuses, and what the refusal must say.
REFUSED: dict[str, tuple[dict[str, str], str]] = {
    "dev tokens with lasting stores": (
        LASTING | {"EVENTLOG_AUTH": "dev"},
        "EVENTLOG_AUTH=dev runs only with embedded stores",
    ),
    "one store embedded": (
        LASTING | {"EVENTLOG_DYNAMODB_ENDPOINT": NOT_SET, "EVENTLOG_AUTH": "none"},
        "must both be `embedded` or neither",
    ),
    "no cursor secret": (
        LASTING | {"EVENTLOG_CURSOR_SECRET": NOT_SET, "EVENTLOG_AUTH": "none"},
        "EVENTLOG_CURSOR_SECRET is required outside embedded mode",
    ),
    "a short cursor secret": (
        LASTING | {"EVENTLOG_CURSOR_SECRET": SHORT_CURSOR_SECRET, "EVENTLOG_AUTH": "none"},
        "EVENTLOG_CURSOR_SECRET must be at least 32 characters",
    ),
    "no way to authenticate": (LASTING, "refusing to start without authentication"),
    "jwt without an issuer": (
        LASTING | {"EVENTLOG_AUTH": "jwt"},
        "EVENTLOG_AUTH=jwt needs EVENTLOG_AUTH_ISSUER",
    ),
    "a JWKS URL that is not http": (
        LASTING | ISSUER | {"EVENTLOG_AUTH_JWKS_URL": "ftp://issuer.example/jwks"},
        "EVENTLOG_AUTH_JWKS_URL must be an http(s) URL",
    ),
    "a grace period inside the request timeout": (
        LASTING
        | ISSUER
        | {
            "EVENTLOG_REQUEST_TIMEOUT_SECONDS": "300",
            "EVENTLOG_RECONCILE_GRACE_SECONDS": "120",
        },
        "EVENTLOG_RECONCILE_GRACE_SECONDS must exceed EVENTLOG_REQUEST_TIMEOUT_SECONDS",
    ),
    "a batch limit below one event": (
        LASTING
        | ISSUER
        | {"EVENTLOG_MAX_DETAILS_BYTES": "358400", "EVENTLOG_BATCH_MAX_BODY_BYTES": "65536"},
        "EVENTLOG_BATCH_MAX_BODY_BYTES must be at least the body limit of one event",
    ),
    "an origin with a path": (
        LASTING | ISSUER | {"EVENTLOG_CORS_ALLOW_ORIGINS": "https://app.example/"},
        "EVENTLOG_CORS_ALLOW_ORIGINS: 'https://app.example/' is not an origin",
    ),
    "a pool of no connections": (
        LASTING | ISSUER | {"EVENTLOG_SQL_POOL_SIZE": "0"},
        "EVENTLOG_SQL_POOL_SIZE: Input should be greater than or equal to 1",
    ),
    "a timeout that is no number": (
        LASTING | ISSUER | {"EVENTLOG_REQUEST_TIMEOUT_SECONDS": "soon"},
        "EVENTLOG_REQUEST_TIMEOUT_SECONDS: Input should be a valid number",
    ),
    "an unknown auth mode": (
        LASTING | {"EVENTLOG_AUTH": "basic"},
        "EVENTLOG_AUTH: Input should be 'jwt', 'none' or 'dev'",
    ),
}

ENTRY_POINTS = {
    "python -m gateway": ["-m", "gateway", "--port", str(closed_port())],
    "python -m gateway reconcile": ["-m", "gateway", "reconcile"],
    "the Lambda handler's init": ["-c", "import gateway.entrypoints.lambda_handler"],
}


def run(arguments: list[str], variables: dict[str, str]) -> tuple[int, str]:
    """The entry point run as a user or Lambda would, with only `variables` of ours set
    (empty ones left out); its exit code and everything it printed."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("EVENTLOG_", "AWS_"))
    }
    env |= {name: value for name, value in variables.items() if value}
    if "-c" in arguments:
        env["AWS_LAMBDA_FUNCTION_NAME"] = "eventlog-api"
    done = subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout


def assert_shows_none_of(output: str, secrets: list[str]) -> None:
    for secret in secrets:
        for start in range(len(secret) - 5):
            assert secret[start : start + 6] not in output, (secret, output)


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("refused", REFUSED)
def test_a_refused_configuration_says_why_and_shows_no_secret(
    refused: str, entry_point: str
) -> None:
    variables, reason = REFUSED[refused]
    code, output = run(ENTRY_POINTS[entry_point], variables)
    assert code != 0, output
    assert reason in output, output
    assert_shows_none_of(output, SECRETS)


# Members of the database secret, each distinctive (the host and the user name included: anything
# read from Secrets Manager is the secret's).
SECRET_MEMBERS: dict[str, Any] = {
    "username": "UsrQz7KpWm3x",
    "password": "PwdHn4Tc8Rb2Lv6y",
    "host": "HstXb5Wq2Zr9.internal",
    "port": 1433,
    "dbname": "DbnFk3Jm8Qs1",
    "cursorSecret": "CsrTg6Yh1Un4Ik7Ol0Pz3Xc5Vb8Nm2Aq9Sw",
}
MEMBER_SECRETS = [str(value) for value in SECRET_MEMBERS.values() if value != 1433]
MALFORMED: dict[str, tuple[str, str]] = {
    "not JSON": (
        " ".join(f"{name}={value}" for name, value in SECRET_MEMBERS.items()),
        "the database secret is not a JSON object",
    ),
    "no password": (
        json.dumps({k: v for k, v in SECRET_MEMBERS.items() if k != "password"}),
        "the database secret has no `password` (a string)",
    ),
    "a password that is a number": (
        json.dumps(SECRET_MEMBERS | {"password": 73914682055}),
        "the database secret has no `password` (a string)",
    ),
    "a port that is no number": (
        json.dumps(SECRET_MEMBERS | {"port": "PrtWv2Ec5Rx"}),
        "the database secret's `port` is not a port number",
    ),
    "a short cursor secret": (
        json.dumps(SECRET_MEMBERS | {"cursorSecret": "CsrQ8zW1"}),
        "the database secret's `cursorSecret` must be at least 32 characters",
    ),
}
MALFORMED_SECRETS = [*MEMBER_SECRETS, "73914682055", "PrtWv2Ec5Rx", "CsrQ8zW1"]


@pytest.fixture(scope="module")
def secret_arns(moto_endpoint: str) -> dict[str, str]:
    client = boto3.client("secretsmanager", endpoint_url=moto_endpoint, region_name="us-east-1")
    return {
        name: client.create_secret(Name=f"eventlog/{index}", SecretString=text)["ARN"]
        for index, (name, (text, _)) in enumerate(MALFORMED.items())
    }


def secret_settings(moto_endpoint: str, arn: str) -> dict[str, str]:
    return {
        "EVENTLOG_DATABASE_URL": "mssql+pyodbc://@placeholder/eventlog?driver=FreeTDS",
        "EVENTLOG_DYNAMODB_ENDPOINT": moto_endpoint,
        "EVENTLOG_DATABASE_SECRET_ARN": arn,
        "EVENTLOG_AUTH": "none",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@pytest.mark.parametrize("malformed", MALFORMED)
def test_a_malformed_database_secret_says_what_is_missing_and_shows_none_of_it(
    moto_endpoint: str, secret_arns: dict[str, str], malformed: str
) -> None:
    """The reconcile CLI stops; the Lambda container starts (its requests answer 503 until
    the secret is mended) and logs why."""
    variables = secret_settings(moto_endpoint, secret_arns[malformed])
    _, reason = MALFORMED[malformed]
    code, output = run(ENTRY_POINTS["python -m gateway reconcile"], variables)
    assert code != 0, output
    assert reason in output, output
    assert_shows_none_of(output, MALFORMED_SECRETS)
    code, output = run(ENTRY_POINTS["the Lambda handler's init"], variables)
    assert code == 0, output
    assert f"cannot read the database secret: {reason}" in output, output
    assert_shows_none_of(output, MALFORMED_SECRETS)


@pytest.fixture
def lasting_server(moto_endpoint: str) -> Iterator[RunningServer]:
    """`python -m gateway` on a SQL Server it has not reached yet (it connects on demand)."""
    variables = LASTING | {"EVENTLOG_DYNAMODB_ENDPOINT": moto_endpoint, "EVENTLOG_AUTH": "none"}
    yield from serve(**variables)


def test_the_banner_and_the_log_of_a_lasting_server_show_no_password(
    lasting_server: RunningServer,
) -> None:
    assert lasting_server.banner[2] == (
        "  metadata: mssql+pyodbc://app:***@db.internal/eventlog?driver=FreeTDS"
    )
    lasting_server.stop()
    assert_shows_none_of("\n".join(lasting_server.banner + lasting_server.stderr), SECRETS)
