"""The alarms and the dashboard of template.yaml read metrics the code emits: every name they give
in the EventLog namespace is one the metric catalogue makes (a renamed metric would otherwise
leave an alarm watching nothing, forever OK)."""

import itertools
import json
import re
from typing import Any

import pytest

from gateway.graphql.refusal import GRAPHQL_CODES
from gateway.metrics import CLOUDWATCH_NAMESPACE
from gateway.rest.problems import problem_slugs
from persistence.metric_catalogue import CATALOGUE, LABEL_VALUES
from tests.integration.test_deployment_files import template

AWS_NAMESPACES = {"AWS/Lambda", "AWS/DynamoDB", "AWS/SQS"}
_SEARCH_NAME = re.compile(r'MetricName="([^"]+)"')
_SEARCH_NAMESPACE = re.compile(r"SEARCH\('\{([^,}]+)")


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


def alarm_metrics() -> list[tuple[str, str]]:
    found = []
    for resource in template()["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        properties = resource["Properties"]
        if "MetricName" in properties:
            found.append((properties["Namespace"], properties["MetricName"]))
        for query in properties.get("Metrics", []):
            if "MetricStat" in query:
                metric = query["MetricStat"]["Metric"]
                found.append((metric["Namespace"], metric["MetricName"]))
    return found


def dashboard_metrics() -> list[tuple[str, str]]:
    body = template()["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Sub"][0]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "substituted", body))["widgets"]
    found = []
    for widget in widgets:
        for line in widget["properties"]["metrics"]:
            named = [part for part in line if isinstance(part, str)]
            if named:
                found.append((named[0], named[1]))
            for part in line:
                if isinstance(part, dict) and "expression" in part:
                    expression = part["expression"]
                    namespace = _SEARCH_NAMESPACE.search(expression)
                    assert namespace is not None, expression
                    found += [(namespace[1], name) for name in _SEARCH_NAME.findall(expression)]
    return found


@pytest.mark.parametrize("source", [alarm_metrics, dashboard_metrics])
def test_every_metric_named_is_one_the_code_emits_or_aws_publishes(source: Any) -> None:
    named = source()
    assert named
    ours = {name for namespace, name in named if namespace == CLOUDWATCH_NAMESPACE}
    assert ours, "the alarms and dashboard read the app's own metrics"
    assert ours <= emitted_names(), sorted(ours - emitted_names())
    assert {namespace for namespace, _ in named} <= {CLOUDWATCH_NAMESPACE} | AWS_NAMESPACES


def test_the_issue_s_alarms_are_all_declared() -> None:
    """5xx rate, p99 latency, 503 by store, Lambda errors, throttles and concurrency, DynamoDB
    throttles, reconcile failures and orphans (the dead-letter queue's alarm comes with it)."""
    alarms = {
        name
        for name, resource in template()["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert {
        "FaultRateAlarm",
        "LatencyAlarm",
        "MetadataUnavailableAlarm",
        "DetailsUnavailableAlarm",
        "AuthUnavailableAlarm",
        "FunctionErrorsAlarm",
        "FunctionThrottlesAlarm",
        "ConcurrencyAlarm",
        "DynamoDBThrottlesAlarm",
        "ReconcileFailuresAlarm",
        "OrphansAlarm",
    } <= alarms
    for name in alarms:
        actions = template()["Resources"][name]["Properties"]["AlarmActions"]
        assert actions == {
            "If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]
        }
