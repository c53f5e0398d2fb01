"""A reading taken over from another evaluation of the same template: the parameters each
resource reads (``wizard.cfn.dependencies``), and grants read only where those differ, which are
exactly the grants of a reading from scratch (``wizard.iam.grants.extract`` of an evaluation made
like another)."""

from __future__ import annotations

import pytest

from tests.unit.overlay.conftest import VENDOR_FILES, _vendor
from wizard.cfn.dependencies import changed_parameters, parameter_reads, resolved_alike
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import ParameterError, resolve_parameters
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.template import parse_template
from wizard.iam import grants as grants_module
from wizard.iam.effective import Baseline, lost_access, resource_types_of
from wizard.iam.grants import extract, not_analysed
from wizard.overlay import harden

READS = """
Parameters:
  Prefix: {Type: String, Default: acme}
  Mode: {Type: String, Default: a}
  Path: {Type: String, Default: /}
  Other: {Type: String, Default: x}
  Target: {Type: String, Default: Prefix}
Conditions:
  IsA: !Equals [!Ref Mode, a]
  IsAOrB: !Or [!Condition IsA, !Equals [!Ref Other, b]]
Resources:
  Plain: {Type: AWS::S3::Bucket}
  Named:
    Type: AWS::S3::Bucket
    Properties: {BucketName: !Sub '${Prefix}-data-${AWS::Region}'}
  Chosen:
    Type: AWS::S3::Bucket
    Condition: IsA
  Branch:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !If [IsAOrB, one, two]}
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Path: !Ref Path
      PolicyDocument: {Statement: [{Effect: Allow, Action: s3:GetObject, Resource: '*'}]}
  Holder:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: []}
      ManagedPolicyArns: [!Ref Policy]
      Description: !GetAtt Named.Arn
  Local:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !Sub ['${Name}-${Other}', {Name: fixed}]}
  Computed:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !Ref {'Fn::Sub': '${Target}'}}
"""


def test_each_resource_reads_its_parameters_through_conditions_refs_and_subs():
    reads = parameter_reads(parse_template(READS))
    assert reads["Plain"] == frozenset()
    assert reads["Named"] == {"Prefix"}  # a pseudo parameter is the same in both evaluations
    assert reads["Chosen"] == {"Mode"}  # its existence
    assert reads["Branch"] == {"Mode", "Other"}  # through a condition naming a condition
    assert reads["Holder"] == {"Path"}  # the managed policy's ARN is built from its path; GetAtt reads nothing
    assert reads["Local"] == {"Other"}  # Name is Fn::Sub's own variable
    assert reads["Computed"] == set(parse_template(READS).parameters)  # a computed Ref may read anything


def test_two_evaluations_differ_in_the_parameters_given_differently():
    template = parse_template(READS)
    a = Evaluation(template, resolve_parameters(template, {"Mode": "b"}))
    b = Evaluation(template, resolve_parameters(template, {"Mode": "a", "Prefix": "acme"}))
    assert changed_parameters(a, b) == {"Mode"}  # Prefix given as its default is no change
    alike = resolved_alike(a, b)
    assert alike("Named") and not alike("Chosen") and not alike("Branch") and not alike("Unknown")
    other = Evaluation(template, a.parameters, Pseudo(region="eu-west-1"))
    assert changed_parameters(a, other) is None and not resolved_alike(a, other)("Plain")


def _evaluation(template, values, pseudo=None):
    return Evaluation(template, resolve_parameters(template, dict(values)), pseudo)


def _same_reading(template, like_values, values, pseudo=None):
    """The grants and unread documents of ``values``, read over ``like_values``' reading and
    from scratch: both compared, and how many resources were read anew."""
    like = _evaluation(template, like_values, pseudo)
    extract(like)
    taken = Evaluation(template, resolve_parameters(template, dict(values)), pseudo, like=like)
    fresh = _evaluation(template, values, pseudo)
    assert extract(taken) == extract(fresh)
    assert not_analysed(taken) == not_analysed(fresh)
    return taken


@pytest.mark.parametrize("name", list(VENDOR_FILES))
def test_every_option_of_the_hardened_vendor_templates_reads_as_from_scratch(name):
    template = harden(_vendor(name)).template
    required = VENDOR_FILES[name]
    compared = 0
    for option in template.parameters:
        spec = template.parameters[option]
        choices = [v for v in (spec.allowed_values or ()) if v != spec.default][:2]
        if not choices and option in required:
            continue
        for value in choices or ["arn:aws:iam::123456789012:role/other" if "Arn" in option else "other-1"]:
            try:
                values = {**required, option: value}
                resolve_parameters(template, values)
            except Exception:  # a value this parameter refuses: not a variant
                continue
            _same_reading(template, required, values)
            _same_reading(template, values, required)
            compared += 1
    assert compared >= min(10, len(template.parameters) - len(required))


def test_a_resource_reading_nothing_that_changed_is_taken_over_not_read_again():
    template = harden(_vendor("stable.yaml")).template
    required = VENDOR_FILES["stable.yaml"]
    like = _evaluation(template, required)
    extract(like)
    values = {**required, "ApproverPrincipalArn": "arn:aws:iam::123456789012:role/a",
              "PolicyCreationMode": "ManualApproval"}
    variant = Evaluation(template, resolve_parameters(template, values), like=like)
    extract(variant)
    reads = parameter_reads(template)
    changed = {"ApproverPrincipalArn", "PolicyCreationMode"}
    anew = [r for r, resolved in variant._resources.items() if resolved is not like._resources.get(r)]
    assert anew and all(reads[r] & changed for r in anew)
    assert len(anew) < len(template.resources) // 5


EDGES = """
Parameters:
  Named: {Type: String, Default: 'no'}
  Attach: {Type: String, Default: 'no'}
  Doc: {Type: String, Default: 'no'}
Conditions:
  IsNamed: !Equals [!Ref Named, 'yes']
  Attaches: !Equals [!Ref Attach, 'yes']
  Wide: !Equals [!Ref Doc, 'yes']
Resources:
  Worker:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !If [IsNamed, worker, !Ref AWS::NoValue]
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ecs.amazonaws.com}, Action: sts:AssumeRole}]}
      ManagedPolicyArns: !If [Attaches, [!Ref Shared], !Ref AWS::NoValue]
  Shared:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Worker]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: s3:GetObject, Resource: !If [Wide, '*', 'arn:aws:s3:::one/*']}
  ByName:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: by-name
      Roles: [worker]
      PolicyDocument: {Statement: [{Effect: Allow, Action: sqs:SendMessage, Resource: '*'}]}
  Lonely:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: {Statement: [{Effect: Deny, Action: 's3:*', Resource: !If [Wide, '*', 'arn:aws:s3:::x']}]}
"""


@pytest.mark.parametrize("like_values, values", [
    ({}, {"Named": "yes"}),  # a holder's name changes what another policy's Roles name
    ({"Named": "yes"}, {}),
    ({}, {"Attach": "yes"}),  # a policy attached twice: read once, by whichever reads it first
    ({"Attach": "yes"}, {}),
    ({"Attach": "yes"}, {"Attach": "yes", "Doc": "yes"}),
    ({}, {"Doc": "yes"}),
    ({"Doc": "yes", "Attach": "yes"}, {"Named": "yes"}),
])
def test_the_edges_of_taking_over_read_as_from_scratch(like_values, values):
    _same_reading(parse_template(EDGES), like_values, values)


def test_another_template_or_pseudo_parameters_are_read_from_scratch():
    template = parse_template(EDGES)
    like = _evaluation(template, {})
    extract(like)
    other = Evaluation(template, resolve_parameters(template, {}), Pseudo(account_id="111122223333"), like=like)
    assert other.like is None
    assert extract(other) == extract(_evaluation(template, {}, Pseudo(account_id="111122223333")))
    reading = grants_module._reading(other)
    assert all(unit is not grants_module._reading(like).units.get(key) for key, unit in reading.units.items())


def test_a_baseline_asked_about_some_losses_answers_for_them_as_the_whole_comparison():
    template = harden(_vendor("stable.yaml")).template
    required = VENDOR_FILES["stable.yaml"]
    chosen_values = {**required, "EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-"}
    base, chosen = extract(_evaluation(template, required)), extract(_evaluation(template, chosen_values))
    types = resource_types_of(template.resources)
    lost = lost_access(base, chosen, types)
    assert lost
    asked = lost[: len(lost) // 2]
    assert set(Baseline(base, types, asked=asked).lost_in(chosen)) >= set(asked)
    assert Baseline(base, types).lost_in(chosen) == lost
    nothing = extract(_evaluation(template, {**required, "EnableEnhancedSecurity": "true"}))
    whole = set(lost_access(base, nothing, types))
    part = set(Baseline(base, types, asked=asked).lost_in(nothing))
    assert {a for a in whole if a in set(asked)} == {a for a in part if a in set(asked)}


def test_an_evaluation_made_like_another_resolves_every_resource_and_network_rule_as_from_scratch():
    from wizard.iam.network import network_rules

    template = harden(_vendor("stable.yaml")).template
    required = VENDOR_FILES["stable.yaml"]
    like = _evaluation(template, required)
    like.rendered()
    for option, value in (("EnableEnhancedSecurity", "true"), ("UseVPCEndpoints", "true"),
                          ("InternalApiPort", "8443"), ("LoadBalancerScheme", "internal")):
        values = {**required, option: value}
        made = Evaluation(template, resolve_parameters(template, values), like=like)
        fresh = _evaluation(template, values)
        assert made.like is like
        assert made.rendered() == fresh.rendered()
        assert network_rules(made) == network_rules(fresh)
        shared = [r for r in template.resources if made.resource(r) is like.resource(r)]
        assert shared and len(shared) < len(template.resources)


def test_an_evaluation_whose_like_is_gone_resolves_on_its_own():
    import gc

    template = parse_template(READS)
    like = _evaluation(template, {})
    made = Evaluation(template, resolve_parameters(template, {"Mode": "b"}), like=like)
    del like
    gc.collect()
    assert made.like is None
    assert made.resource("Named") == _evaluation(template, {}).resource("Named")


def test_the_last_analysis_of_a_template_does_not_keep_the_template_alive():
    import gc
    import weakref

    from wizard.iam import analysis

    template = parse_template(READS)
    analysis.analyse(template, {"Mode": "b"})
    second = analysis.analyse(template, {"Mode": "a"})
    assert second.evaluation.like is not None  # made like the first
    gone = weakref.ref(template)
    del template, second
    analysis._analyse.cache_clear()
    gc.collect()
    assert gone() is None


@pytest.mark.parametrize("name", ["reads", "edges", "stable.yaml"])
def test_what_a_resource_reads_is_the_same_when_the_parts_without_intrinsics_are_skipped(name):
    from wizard.cfn import dependencies

    template = {"reads": lambda: parse_template(READS), "edges": lambda: parse_template(EDGES),
                "stable.yaml": lambda: harden(_vendor("stable.yaml")).template}[name]()
    whole, skipping = dependencies._Reader(template), dependencies._Reader(template)
    skipping.dynamic = template.dynamic
    reads = {r: whole.of(r) for r in template.resources}
    assert reads == {r: skipping.of(r) for r in template.resources}
    assert any(reads.values())
