"""The documentation package's prose: the four questions, bucket connections, key policies."""

from __future__ import annotations

import json

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template
from wizard.findings import evaluate_findings
from wizard.findings.connection import bucket_policies, key_policies
from wizard.flow.report import render_report
from wizard.iam.grants import extract
from wizard.iam.network import network_rules
from wizard.paths import DEFAULT_TEMPLATE
from tests.unit.findings.test_embedded_model import REQUIRED

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def evaluation_of(**parameters):
    template = load_template(DEFAULT_TEMPLATE)
    return Evaluation(template, resolve_parameters(template, {**REQUIRED, **parameters}))


def report(evaluation, context=None):
    grants, rules = extract(evaluation), network_rules(evaluation)
    return render_report(evaluation, grants, rules, evaluate_findings(evaluation, grants, rules), context=context)


def test_the_four_questions_are_answered_in_prose_not_as_ids():
    evaluation = evaluation_of(PolicyCreationMode="ManualApproval", EnableEnhancedSecurity="true")
    context = {"answers": {"policy_creation": "manual", "tighter_security": "yes", "frameworks": ["pci-dss"],
                           "timeline": "before"}}
    markdown, _ = report(evaluation, context)
    section = markdown.split("## The vendor's four questions, answered", 1)[1].split("\n## ", 1)[0]
    for topic in ("Policy-creation approach", "Acceptable trade-offs", "Compliance frameworks", "Timeline"):
        assert topic in section
    # the answer and its effects are read from the template: the embedded template tells the
    # registry of the approval topic, so a new policy waits for an approver there
    assert "ManualApproval: an approver writes the policy" in section
    assert "No role of the running application may write an IAM policy" in section
    assert "waits for an approver" in section and "QUILT_POLICY_APPROVAL_TOPIC_ARN" in section
    assert "PolicyCreationMode" in section and "365 days" in section
    assert "policy\\_creation" not in section and "policy_creation" not in section
    choices = markdown.split("## Deployment choices", 1)[1].split("\n## ", 1)[0]
    assert "| How should IAM policies be created when buckets are connected? | manual |" in choices
    assert "policy\\_creation" not in choices


def test_without_answers_the_answer_is_read_back_from_the_parameters():
    markdown, _ = report(evaluation_of(PolicyCreationMode="PreCreated", CustomerBucketPrefix="acme-"))
    assert "PreCreated: the policies exist at deployment (read back from the parameters" in markdown


def test_bucket_connection_statements_name_the_example_bucket_and_the_guardrail_envelope():
    found = bucket_policies(evaluation_of(CustomerBucketPrefix="acme-", EnableEnhancedSecurity="true"))
    assert found.bucket == "acme-example-data" and found.guardrail_attached
    resources = {r for s in found.read for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])}
    assert resources == {"arn:aws:s3:::acme-example-data", "arn:aws:s3:::acme-example-data/*"}
    assert {"s3:GetObject", "s3:ListBucket"} <= {a for s in found.read for a in s["Action"]}
    assert "s3:PutObject" in found.write[0]["Action"]
    assert {"IndexerRole", "PkgEventsRole", "RegistryRole", "ManagedUserRole"} <= set(found.read_holders)
    sids = {s["Sid"] for s in found.envelope}
    assert {"DenyPrivilegeEscalation", "DenyS3OutsideBucketPrefix"} <= sids
    standard = bucket_policies(evaluation_of())
    assert not standard.guardrail_attached and standard.envelope  # shown for reference, said to be absent


def test_key_policies_only_with_a_key_and_bound_to_the_trail():
    assert key_policies(evaluation_of()) is None
    name, key, policies = key_policies(evaluation_of(KMSKeyId=KEY))
    assert (name, key) == ("KMSKeyId", KEY)
    assert set(policies) == {"CloudTrail", "SNS", "S3", "Secrets Manager"}
    trail = policies["CloudTrail"][0]
    assert trail["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trail["Condition"]["StringEquals"]["aws:SourceArn"] == "arn:aws:cloudtrail:us-east-1:123456789012:trail/quilt-quilt"
    for statement in policies["S3"] + policies["Secrets Manager"]:
        assert statement["Condition"]["StringEquals"]["kms:CallerAccount"] == "123456789012"
    markdown, html = report(evaluation_of(KMSKeyId=KEY))
    assert "## Key policy statements to apply to the KMS key" in markdown and "kms:ViaService" in html
    json.dumps(policies)
