"""Every CloudWatch metric name the code can write (the EMF sink), for the tests that hold the
alarms, the dashboard and docs/operations.md to it."""

import itertools
import re

from gateway.graphql.refusal import GRAPHQL_CODES
from gateway.rest.problems import problem_slugs
from persistence.metric_catalogue import CATALOGUE, LABEL_VALUES


def emitted_names() -> set[str]:
    """Every CloudWatch name the EMF sink can write: each template with each label value."""
    values = {**LABEL_VALUES, "problem": problem_slugs() | GRAPHQL_CODES}
    names: set[str] = set()
    for metric in CATALOGUE:
        for pattern in metric.cloudwatch:
            labels = re.findall(r"\{(\w+)\}", pattern)
            for chosen in itertools.product(*(sorted(values[label]) for label in labels)):
                names.add(pattern.format(**dict(zip(labels, chosen, strict=True))))
    return names
