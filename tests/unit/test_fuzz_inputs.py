"""Random templates, answers files and profiles: exit 0 or 2, never a traceback.

The strategies build inputs close to real ones (the resource types the analyses read, every
intrinsic function, conditions, parameters, answers and profile layouts) with wrong types,
names and shapes mixed in. Each example runs the commands in-process; anything but exit
status 0 or 2 (an exception escaping ``main`` included) fails. The seed is fixed and the
example count small so that this runs in seconds; ``QUILT_WIZARD_FUZZ_EXAMPLES=5000`` (or
``python benchmarks/bench_fuzz.py``) runs a longer search with fresh seeds.
"""

from __future__ import annotations

import contextlib
import io
import json
import os

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DATA
from wizard.cli import main

LONG = int(os.environ.get("QUILT_WIZARD_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=LONG or 60, derandomize=not LONG, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

NAMES = st.sampled_from(["A", "B", "Role", "Bucket", "P", "On", "AWS::NoValue", "AWS::Region",
                         "AWS::AccountId", "Missing", ""])
TYPES = st.sampled_from([
    "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group",
    "AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy", "AWS::KMS::Key",
    "AWS::Lambda::Permission", "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress", "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::ListenerRule",
    "AWS::ECS::TaskDefinition", "AWS::ECS::Service", "AWS::CloudTrail::Trail", "AWS::S3::Bucket",
    "AWS::SNS::Topic"])
KEYS = st.sampled_from([
    "Policies", "PolicyDocument", "PolicyName", "AssumeRolePolicyDocument", "ManagedPolicyArns", "Roles",
    "Users", "Groups", "Statement", "Effect", "Action", "NotAction", "Resource", "NotResource",
    "Principal", "Condition", "Sid", "KeyPolicy", "FunctionName", "SourceArn", "SourceAccount",
    "SecurityGroupIngress", "SecurityGroupEgress", "IpProtocol", "FromPort", "ToPort", "CidrIp",
    "SourceSecurityGroupId", "GroupId", "Port", "Protocol", "Certificates", "DefaultActions", "Type",
    "Scheme", "ContainerDefinitions", "PortMappings", "ContainerPort", "LoadBalancers", "Bucket",
    "Topics", "Queues", "KMSKeyId", "CloudWatchLogsLogGroupArn", "IsLogging", "Version", "Path",
    "ManagedPolicyName", "RedirectConfig", "Actions", "Conditions", "EventSelectors"])
SCALARS = st.one_of(st.text(max_size=12), st.integers(-5, 70000), st.booleans(), st.none(),
                    st.sampled_from(["*", "s3:*", "iam:PassRole", "Allow", "Deny", "tcp", "-1", "0.0.0.0/0",
                                     "arn:aws:s3:::b/*", "10.0.0.0/16", "HTTPS", "internet-facing",
                                     "${AWS::Region}", "${Role.Arn}", "${Missing}", "${", "1.5"]))


def intrinsic(children):
    return st.one_of(
        st.builds(lambda n: {"Ref": n}, NAMES),
        st.builds(lambda c, a, b: {"Fn::If": [c, a, b]}, NAMES, children, children),
        st.builds(lambda t: {"Fn::Sub": t}, st.sampled_from(["${A}", "x-${AWS::Region}", "${Role.Arn}", "${!x}", "${"])),
        st.builds(lambda v: {"Fn::Sub": ["${X}-${A}", {"X": v}]}, children),
        st.builds(lambda d, items: {"Fn::Join": [d, items]}, st.sampled_from(["", ",", ":"]), children),
        st.builds(lambda d, s: {"Fn::Split": [d, s]}, st.sampled_from([",", "", "-"]), children),
        st.builds(lambda i, items: {"Fn::Select": [i, items]}, st.one_of(st.integers(-1, 3), children), children),
        st.builds(lambda v: {"Fn::GetAtt": v}, st.one_of(st.lists(NAMES, max_size=3), NAMES)),
        st.builds(lambda a: {"Fn::FindInMap": a}, st.lists(children, max_size=4)),
        st.builds(lambda v: {"Fn::Base64": v}, children),
        st.builds(lambda v: {"Fn::GetAZs": v}, children),
        st.builds(lambda a: {"Fn::Cidr": a}, st.lists(children, max_size=3)),
        st.builds(lambda v: {"Fn::Length": v}, children),
        st.builds(lambda v: {"Fn::ToJsonString": v}, children),
        st.builds(lambda v: {"Fn::ImportValue": v}, children),
        st.builds(lambda a: {"Fn::Equals": a}, st.lists(children, max_size=3)),
        st.builds(lambda a: {"Fn::Not": a}, st.lists(children, max_size=2)),
        st.builds(lambda k, v: {k: v}, st.sampled_from(["Fn::ValueOf", "Fn::RefAll", "Fn::Unknown", "Condition"]),
                  children),
    )


VALUES = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5), intrinsic(children)),
    max_leaves=25)

PARAMETER = st.fixed_dictionaries({"Type": st.sampled_from(["String", "Number", "CommaDelimitedList",
                                                            "List<AWS::EC2::Subnet::Id>", "AWS::EC2::VPC::Id",
                                                            "List<Number>", "Bogus"])},
                                  optional={"Default": SCALARS, "AllowedValues": st.lists(SCALARS, max_size=3),
                                            "AllowedPattern": st.sampled_from(["^[a-z]+$", "(", ".*", "(a|a)*b"]),
                                            "NoEcho": st.booleans(), "MinValue": SCALARS, "MaxLength": SCALARS})
RESOURCE = st.fixed_dictionaries({"Type": TYPES},
                                 optional={"Properties": st.one_of(st.dictionaries(KEYS, VALUES, max_size=6), VALUES),
                                           "Condition": st.one_of(NAMES, VALUES)})
TEMPLATE = st.fixed_dictionaries(
    {"Resources": st.dictionaries(NAMES.filter(bool).filter(lambda n: "::" not in n), RESOURCE, min_size=1, max_size=4)},
    optional={"Parameters": st.dictionaries(st.sampled_from(["A", "P", "Open"]), PARAMETER, max_size=3),
              "Conditions": st.dictionaries(st.sampled_from(["On", "B", "C"]), VALUES, max_size=3),
              "Mappings": st.dictionaries(st.sampled_from(["M"]), st.dictionaries(st.text(max_size=3), VALUES,
                                                                                 max_size=2), max_size=1),
              "Outputs": st.dictionaries(st.sampled_from(["O"]), st.dictionaries(
                  st.sampled_from(["Value", "Condition"]), VALUES, max_size=2), max_size=1),
              "Rules": st.dictionaries(st.sampled_from(["R"]), VALUES, max_size=1)})


def run(*argv: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    assert "Traceback" not in err.getvalue()
    return code


@FUZZ
@given(template=TEMPLATE, as_json=st.booleans(), values=st.dictionaries(st.sampled_from(["A", "P", "Open"]),
                                                                       st.text(max_size=8), max_size=2))
def test_random_templates_are_exit_0_or_2(tmp_path_factory, template, as_json, values):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / ("t.json" if as_json else "t.yaml")
    path.write_text(json.dumps(template) if as_json else yaml.safe_dump(template))
    sets = [a for k, v in values.items() for a in ("--set", f"{k}={v}")]
    for command in (["render"], ["grants", "--json"], ["diff", "--from", "A=x"], ["report", "--out", str(folder / "r")]):
        assert run(command[0], "--template", str(path), *command[1:], *sets) in (0, 2), (command, template)


ANSWER_VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=5), SCALARS, max_size=2))
ANSWERS = st.fixed_dictionaries({}, optional={
    "version": st.one_of(st.just(1), SCALARS),
    "mode": st.one_of(st.sampled_from(["standard", "restricted", "enterprise", "nope", "../x"]), SCALARS),
    "stack": st.one_of(st.fixed_dictionaries({}, optional={"name": SCALARS, "region": SCALARS,
                                                           "account_id": st.one_of(SCALARS, st.just("111122223333"))}),
                       SCALARS),
    "answers": st.one_of(st.dictionaries(st.sampled_from(["timeline", "frameworks", "bucket_scope", "host",
                                                          "certificate", "policy_creation", "task_tls", "x"]),
                                         ANSWER_VALUES, max_size=4), SCALARS),
    "parameters": st.one_of(st.dictionaries(st.sampled_from(["AdminEmail", "Subnets", "InternalApiPort", "VPC",
                                                             "AdminPassword", "Nope"]), ANSWER_VALUES, max_size=4),
                            SCALARS),
    "output": st.one_of(st.fixed_dictionaries({}, optional={"path": SCALARS, "format": SCALARS}), SCALARS),
    "baseline": st.one_of(st.sampled_from(["standard", "missing.json", "enterprise"]), SCALARS),
    "template": st.one_of(st.sampled_from(["missing.yaml"]), SCALARS),
    "tags": st.one_of(st.dictionaries(st.text(max_size=4), SCALARS, max_size=2), SCALARS),
})
GOOD = yaml.safe_load((DATA / "answers" / "good-standard.yaml").read_text())


@FUZZ
@given(changes=ANSWERS, keep_good=st.booleans())
def test_random_answers_files_are_exit_0_or_2(tmp_path_factory, changes, keep_good):
    folder = tmp_path_factory.mktemp("fuzz")
    document = {**GOOD, **changes} if keep_good else changes
    path = folder / "answers.yaml"
    path.write_text(yaml.safe_dump(document))
    out = str(folder / "params.json")
    assert run("--answers", str(path), "--out", out) in (0, 2)
    assert run("report", "--answers", str(path), "--out", str(folder / "r")) in (0, 2)
    assert run("profiles", "save", "fuzzed", "--answers", str(path)) in (0, 2)


PROFILE = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.just("fuzzed"), SCALARS),
    "description": SCALARS,
    "extends": st.one_of(st.sampled_from(["standard", "fuzzed", "nope"]), SCALARS),
    "answers": ANSWERS.map(lambda a: a.get("answers", {})),
    "parameters": st.one_of(st.dictionaries(st.sampled_from(["AdminEmail", "Subnets", "Nope"]), ANSWER_VALUES,
                                            max_size=3), SCALARS),
    "accounts": st.one_of(st.dictionaries(st.sampled_from(["111122223333", "x"]),
                                          st.one_of(st.dictionaries(st.sampled_from(["answers", "parameters"]),
                                                                    ANSWER_VALUES, max_size=2), SCALARS),
                                          max_size=2), SCALARS),
})


@FUZZ
@given(profile=PROFILE)
def test_random_profiles_are_exit_0_or_2(tmp_path_factory, profile):
    from wizard.flow.profiles import user_profiles_dir

    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fuzzed.yaml").write_text(yaml.safe_dump(profile))
    out = str(tmp_path_factory.mktemp("fuzz") / "params.json")
    assert run("profiles", "show", "fuzzed") in (0, 2)
    assert run("profiles", "list") in (0, 2)
    assert run("--answers", str(DATA / "answers" / "good-standard.yaml"), "--profile", "fuzzed",
               "--account-id", "111122223333", "--out", out) in (0, 2)
