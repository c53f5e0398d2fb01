"""Regenerate ``tests/data/peer-parliament-results.json``: parliament's findings on the real template.

parliament (duo-labs) checks IAM policy documents one at a time. It is never a dependency of
the project: it runs in a virtual environment of its own, and this module hands it the exact
policies of the real template (evaluated with the parameters of ``tests/conftest.py``, one
document per inline policy, managed policy, trust policy or resource policy, as the report
prints them) and stores what it says. ``tests/unit/test_peer_comparison.py`` then checks the
stored result against our findings without running parliament.

    python3 -m venv /tmp/parliament && /tmp/parliament/bin/pip install parliament
    python -m tests.peer.parliament_run --python /tmp/parliament/bin/python

The mapping to our rules (``rules`` of each result) is kept from the previous file, so a
regeneration keeps the review; a new kind of result gets ``rules: []`` until someone reviews it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import DATA, REAL, REAL_REQUIRED

RESULTS = DATA / "peer-parliament-results.json"

_RUNNER = r"""
import json, sys, importlib.metadata
import parliament
from parliament import analyze_policy_string
documents = json.load(open(sys.argv[1]))
found = []
for entry in documents:
    policy = analyze_policy_string(json.dumps(entry["document"]), include_community_auditors=True)
    for finding in policy.findings:
        config = parliament.config.get(finding.issue, {})
        found.append({"source": entry["source"], "kind": entry["kind"], "issue": finding.issue,
                      "title": config.get("title", ""), "severity": config.get("severity", ""),
                      "detail": json.loads(json.dumps(finding.detail, default=str))})
json.dump({"version": importlib.metadata.version("parliament"), "findings": found}, sys.stdout)
"""


#: How a stack resource's ARN looks once deployed (type -> service and resource part), so that
#: parliament reads ARNs, not the ``${Logical.Arn}`` tokens the template leaves until deployment.
_ARN_SHAPES = {
    "AWS::IAM::Role": ("iam", "role/{name}", False), "AWS::IAM::ManagedPolicy": ("iam", "policy/{name}", False),
    "AWS::SQS::Queue": ("sqs", "{name}", True), "AWS::S3::Bucket": ("s3", "{lower}", None),
    "AWS::Lambda::Function": ("lambda", "function:{name}", True), "AWS::Events::Rule": ("events", "rule/{name}", True),
    "AWS::SNS::Topic": ("sns", "{name}", True), "AWS::ECS::Cluster": ("ecs", "cluster/{name}", True),
    "AWS::ECS::TaskDefinition": ("ecs", "task-definition/{name}:1", True), "AWS::KMS::Key": ("kms", "key/{name}", True),
    "AWS::Logs::LogGroup": ("logs", "log-group:{name}", True), "AWS::Glue::Database": ("glue", "database/{lower}", True),
    "AWS::Athena::WorkGroup": ("athena", "workgroup/{name}", True), "AWS::SSM::Parameter": ("ssm", "parameter/{name}", True),
    "AWS::StepFunctions::StateMachine": ("states", "stateMachine:{name}", True),
    "AWS::Events::EventBus": ("events", "event-bus/{name}", True),
    "AWS::KinesisFirehose::DeliveryStream": ("firehose", "deliverystream/{name}", True),
}


def _concrete(text: str, evaluation) -> str:
    """``${X.Arn}`` and ``${X}`` tokens of stack resources replaced by the ARN the resource would get."""
    import re

    pseudo = evaluation.pseudo

    def arn(match: "re.Match[str]") -> str:
        logical_id = match.group(1)
        resource = evaluation.resource(logical_id) or {}
        shape = _ARN_SHAPES.get(resource.get("Type", ""))
        if shape is None:
            return match.group(0)
        service, part, regional = shape
        name = f"{pseudo.stack_name}-{logical_id}-EXAMPLE"
        part = part.format(name=name, lower=name.lower())
        if regional is None:
            return f"arn:{pseudo.partition}:{service}:::{part}"
        region = pseudo.region if regional else ""
        return f"arn:{pseudo.partition}:{service}:{region}:{pseudo.account_id}:{part}"

    return re.sub(r"\$\{([A-Za-z0-9]+)(?:\.Arn)?\}", arn, text)


def documents(template_path: Path = REAL) -> list[dict]:
    """Every permissions policy of the evaluated template, once, named by where it is written.

    Trust policies are left out: parliament reads them as permissions policies without a
    Resource and calls every one malformed.
    """
    from wizard.cfn.evaluate import Evaluation
    from wizard.cfn.parameters import resolve_parameters
    from wizard.cfn.template import load_template
    from wizard.findings.policies import policies_by_principal
    from wizard.iam.grants import extract

    template = load_template(template_path)
    evaluation = Evaluation(template, resolve_parameters(template, REAL_REQUIRED))
    seen: dict[str, dict] = {}
    for principal in policies_by_principal(extract(evaluation)):
        for document in principal.documents:
            if document.grants_nothing or not document.statements or document.kind == "trust":
                continue
            source = f"{principal.name}: {document.title}"
            concrete = json.loads(_concrete(json.dumps(document.document()), evaluation))
            seen.setdefault(source, {"source": source, "principal": principal.name, "kind": document.kind,
                                     "line": document.line, "document": concrete})
    return list(seen.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="the Python of a virtual environment with parliament")
    parser.add_argument("--template", type=Path, default=REAL)
    args = parser.parse_args(argv)
    docs = documents(args.template)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(docs, handle)
    output = subprocess.run([args.python, "-c", _RUNNER, handle.name], check=True, capture_output=True, text=True)
    Path(handle.name).unlink()
    result = json.loads(output.stdout)
    previous = {}
    if RESULTS.is_file():
        for entry in json.loads(RESULTS.read_text())["results"]:
            previous[(entry["source"], entry["issue"])] = entry.get("rules", [])
    lines = {d["source"]: d["line"] for d in docs}
    principals = {d["source"]: d["principal"] for d in docs}
    results = []
    for finding in result["findings"]:
        key = (finding["source"], finding["issue"])
        entry = {"source": finding["source"], "principal": principals[finding["source"]],
                 "line": lines[finding["source"]], "issue": finding["issue"], "severity": finding["severity"],
                 "title": finding["title"], "detail": finding["detail"], "rules": previous.get(key, [])}
        if entry not in results:
            results.append(entry)
    results.sort(key=lambda e: (e["issue"], e["source"]))
    data = {"tool": "parliament", "version": result["version"], "community_auditors": True,
            "template": "fixtures/quilt-real/stable.yaml", "documents": len(docs),
            "summary": {"findings": len(results)}, "results": results}
    RESULTS.write_text(json.dumps(data, indent=1) + "\n")
    sys.stdout.write(f"{len(docs)} policy documents, {len(results)} parliament findings -> {RESULTS}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
