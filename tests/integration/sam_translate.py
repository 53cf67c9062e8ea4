"""Print template.yaml as CloudFormation, transformed by SAM's own translator (samtranslator).

Run by the SAM venv's Python (`.venv-sam/bin/python tests/integration/sam_translate.py
template.yaml`): the tests then check what AWS would create (the role's policies, routes, log
groups), not only what the template says. Offline: the managed policies SAM may attach are
named here instead of being looked up in IAM, and the code locations are placeholders.
"""

import json
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/service-role/{name}"
    for name in ("AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole")
}


class OfflinePolicies:
    def load(self) -> dict[str, str]:
        return MANAGED_POLICIES


def main(path: str) -> None:
    with open(path) as source:
        template = yaml_parse(source.read())
    for resource in template["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = "s3://bucket/key"
    print(json.dumps(transform(template, {}, OfflinePolicies())))  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1])
