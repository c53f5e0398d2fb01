"""VPC endpoints and the topics' key on the vendor's template: what the hardened template creates,
read from its evaluated resources, and what the network model shows."""

from __future__ import annotations

import pytest

from tests.unit.overlay.helpers import compare
from wizard.iam.analysis import analyse
from wizard.iam.network import ENDPOINT

#: Every AWS API the stack's services and functions call, as an interface endpoint.
INTERFACE_SERVICES = {"sts", "sqs", "sns", "logs", "ecr.api", "ecr.dkr", "secretsmanager", "kms", "athena", "glue"}
ROUTE_TABLES = "rtb-0123456789abcdef0,rtb-0123456789abcdef1"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _resources(template, values, kind):
    return analyse(template, values).evaluation.resources(kind)


def test_endpoints_at_the_default_add_nothing(vendor):
    _template, hardening, values = vendor
    assert _resources(hardening.template, values, "AWS::EC2::VPCEndpoint") == {}
    assert "VpcEndpointSecurityGroup" not in _resources(hardening.template, values, "AWS::EC2::SecurityGroup")


def test_endpoints_cover_every_api_the_stack_calls_in_its_subnets(vendor):
    _template, hardening, values = vendor
    chosen = {**values, "UseVPCEndpoints": "true", "PrivateRouteTableIds": ROUTE_TABLES}
    endpoints = _resources(hardening.template, chosen, "AWS::EC2::VPCEndpoint")
    by_service = {e["Properties"]["ServiceName"].rsplit("us-east-1.", 1)[1]: e["Properties"] for e in endpoints.values()}
    assert set(by_service) == INTERFACE_SERVICES | {"s3"}
    subnets = values["Subnets"].split(",")
    for service in INTERFACE_SERVICES:
        properties = by_service[service]
        assert properties["VpcEndpointType"] == "Interface" and properties["PrivateDnsEnabled"] is True
        assert properties["SubnetIds"] == subnets and properties["VpcId"] == values["VPC"]
        assert properties["SecurityGroupIds"] == ["${VpcEndpointSecurityGroup}"]
    gateway = by_service["s3"]
    assert gateway["VpcEndpointType"] == "Gateway" and gateway["RouteTableIds"] == ROUTE_TABLES.split(",")
    group = _resources(hardening.template, chosen, "AWS::EC2::SecurityGroup")["VpcEndpointSecurityGroup"]["Properties"]
    # 443 only from the group through which every service and function calls AWS APIs
    assert [(r["SourceSecurityGroupId"], r["IpProtocol"], r["FromPort"], r["ToPort"])
            for r in group["SecurityGroupIngress"]] == [("${OutboundSecurityGroup}", "tcp", 443, 443)]
    assert group["SecurityGroupEgress"] == [{"CidrIp": "127.0.0.1/32", "IpProtocol": "-1"}]


def test_without_route_tables_there_is_no_s3_gateway_endpoint(vendor):
    _template, hardening, values = vendor
    endpoints = _resources(hardening.template, {**values, "UseVPCEndpoints": "true"}, "AWS::EC2::VPCEndpoint")
    assert len(endpoints) == len(INTERFACE_SERVICES) and "S3GatewayEndpoint" not in endpoints


def test_the_network_model_shows_the_endpoints_and_their_opening(vendor):
    _template, hardening, values = vendor
    change = compare(hardening.template, values, hardening.template,
                     {**values, "UseVPCEndpoints": "true", "PrivateRouteTableIds": ROUTE_TABLES})
    added = [c.rule for c in change.network_added]
    assert {r.resource for r in added if r.kind == ENDPOINT} >= {"StsEndpoint", "S3GatewayEndpoint", "GlueEndpoint"}
    opening = next(c for c in change.network_added if c.rule.kind == "ingress")
    assert opening.rule.describe() == "ingress VpcEndpointSecurityGroup tcp/443 from OutboundSecurityGroup"
    assert opening.broadening
    endpoint = next(c for c in change.network_added if c.rule.resource == "StsEndpoint")
    assert not endpoint.broadening and "inside the AWS network" in endpoint.reason
    assert "Interface, private DNS, in subnet-" in endpoint.rule.describe()


def test_a_template_whose_services_are_in_no_vpc_gets_no_endpoint_option():
    from pathlib import Path

    from wizard.cfn.template import load_template
    from wizard.overlay import harden

    small = load_template(Path(__file__).resolve().parents[2] / "data" / "overlay" / "small-vendor.yaml")
    hardening = harden(small)
    assert "UseVPCEndpoints" not in hardening.template.parameters
    assert any("vpc-endpoints (UseVPCEndpoints) matched nothing" in w for w in hardening.warnings)


def _topic_keys(hardening, values) -> dict[str, object]:
    topics = _resources(hardening.template, values, "AWS::SNS::Topic")
    assert topics, "the vendor's template has a topic"
    return {name: (topic.get("Properties") or {}).get("KmsMasterKeyId") for name, topic in topics.items()}


def test_enhanced_security_with_a_key_encrypts_every_topic_with_it(vendor):
    _template, hardening, values = vendor
    chosen = {**values, "EnableEnhancedSecurity": "true", "KMSKeyId": KEY, "CustomerBucketPrefix": "acme-",
              "PolicyCreationMode": "ManualApproval"}
    keys = _topic_keys(hardening, chosen)
    assert "PolicyApprovalTopic" in keys, "the approval topic of ManualApproval is a topic of the stack too"
    assert set(keys.values()) == {KEY}


@pytest.mark.parametrize("change", [{"EnableEnhancedSecurity": "true"}, {"KMSKeyId": KEY}, {}])
def test_without_both_the_topics_keep_the_vendors_key(vendor, change):
    _template, hardening, values = vendor
    vendor_keys = _topic_keys(hardening, values)
    assert _topic_keys(hardening, {**values, **change}) == vendor_keys
    assert KEY not in vendor_keys.values()


def test_the_topic_rule_adds_no_parameter_and_says_what_the_key_policy_needs(vendor):
    _template, hardening, _values = vendor
    outcome = next(o for o in hardening.outcomes if o.rule.id == "topic-encryption")
    assert outcome.status == "applied" and outcome.rule.parameter == "KMSKeyId"
    assert outcome.rule.parameter_specs() == {}
    assert "PolicyApprovalTopic" in [m.label for s in outcome.steps for m in s.matches]
    assert "key policy" in outcome.rule.preflight


def test_the_checklist_and_key_policy_name_what_sns_and_cloudtrail_need(vendor):
    from wizard.findings.checklist import checklist
    from wizard.findings.connection import key_policies

    _template, hardening, values = vendor
    chosen = {**values, "EnableEnhancedSecurity": "true", "KMSKeyId": KEY, "CustomerBucketPrefix": "acme-"}
    evaluation = analyse(hardening.template, chosen).evaluation
    entries = {e.id: e.text for e in checklist(evaluation, [])}
    sns = entries["kms-key-sns"]
    for words in ("sns.amazonaws.com", "events.amazonaws.com", "kms:GenerateDataKey*", "kms:Decrypt",
                  "aws:SourceAccount 123456789012", "sns.us-east-1.amazonaws.com"):
        assert words in sns, words
    trail = entries["kms-key-cloudtrail"]
    for words in ("cloudtrail.amazonaws.com", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:Decrypt"):
        assert words in trail, words
    assert "logs.us-east-1.amazonaws.com" in entries["kms-key-logs"]
    statements = key_policies(evaluation)[2]["SNS"]
    sns_itself = next(s for s in statements if s["Principal"] == {"Service": "sns.amazonaws.com"})
    assert sns_itself["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert sns_itself["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
