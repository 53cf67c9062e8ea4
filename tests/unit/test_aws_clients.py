"""The process's AWS clients: botocore's, from one session whose loader looks a service up in
its own folder, and answers as botocore's does for a service it does not know."""

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from persistence.aws import aws_client


def test_a_client_is_made_for_the_service_asked_for() -> None:
    client = aws_client("dynamodb", region_name="eu-west-1", endpoint_url="http://127.0.0.1:9")
    assert client.meta.service_model.service_name == "dynamodb"
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == "http://127.0.0.1:9"


def test_an_unknown_service_is_refused_naming_every_known_one() -> None:
    with pytest.raises(UnknownServiceError) as refused:
        aws_client("no-such-service", region_name="us-east-1")
    known = Loader().list_available_services("service-2")
    assert str(refused.value).endswith(", ".join(known))
    assert {"dynamodb", "secretsmanager", "sqs"} <= set(known)
