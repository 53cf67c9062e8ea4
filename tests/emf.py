"""The CloudWatch embedded metric format, as its specification defines it: a line is valid when
the specification's JSON schema (tests/emf_schema.json) accepts it and it keeps the rules the
schema cannot say."""

import json
from pathlib import Path
from typing import Any

import jsonschema

from gateway.metrics import EMF_MAX_VALUES

EMF_SCHEMA = json.loads((Path(__file__).parent / "emf_schema.json").read_text())


def assert_valid_emf(line: dict[str, Any]) -> None:
    """The schema, and the rules it cannot say: each target member exists at the root, a
    metric's value is a number or at most 100 numbers, a dimension's a string."""
    jsonschema.validate(line, EMF_SCHEMA, cls=jsonschema.Draft7Validator)
    for directive in line["_aws"]["CloudWatchMetrics"]:
        for dimension in {name for names in directive["Dimensions"] for name in names}:
            assert isinstance(line[dimension], str)
        for metric in directive["Metrics"]:
            value = line[metric["Name"]]
            numbers = value if isinstance(value, list) else [value]
            assert 1 <= len(numbers) <= EMF_MAX_VALUES
            assert all(isinstance(number, int | float) for number in numbers)
