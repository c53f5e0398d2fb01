"""The overlay's data: the shipped rules validate, bad rules are one line and exit 2, and the
rules act by meaning on a small vendor-like template nobody named a resource for."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.unit.overlay.helpers import allows, compare, grants
from wizard.cfn.template import load_template
from wizard.cli import main
from wizard.errors import InputError
from wizard.overlay import harden, load_overlay

DATA = Path(__file__).resolve().parents[2] / "data" / "overlay"
BAD = sorted((DATA / "bad-rules").glob("*.yaml"))


def test_the_shipped_overlay_validates_and_answers_the_review():
    overlay = load_overlay()
    assert overlay.name == "quilt" and overlay.version
    concerns = {c for rule in overlay.rules for c in rule.concerns}
    assert concerns >= {1, 2, 3, 4, 5, 6, 7}
    for rule in overlay.rules:
        if rule.option_of:  # the option is an earlier rule's parameter, declared (with its default) there
            assert rule.parameter in overlay.rule(rule.option_of).parameter_specs() and rule.steps, rule.id
            assert rule.parameter_specs() == {}, rule.id
        elif not rule.needs_vendor:
            assert "Default" in rule.option and rule.steps, rule.id


def _overlay_with(tmp_path: Path, rule_file: Path) -> Path:
    folder = tmp_path / "overlay"
    folder.mkdir()
    (folder / "overlay.yaml").write_text(
        "overlay: test\nversion: '1'\ndescription: one rule under test\nrules: [bucket-prefix]\n")
    shutil.copy(rule_file, folder / "bucket-prefix.yaml")
    return folder


@pytest.mark.parametrize("case", BAD, ids=[p.stem for p in BAD])
def test_bad_overlay_data_is_one_line_and_exit_2(tmp_path, case, capsys):
    expected = case.read_text().splitlines()[0].removeprefix("# expect: ")
    folder = _overlay_with(tmp_path, case)
    with pytest.raises(InputError) as caught:
        load_overlay(folder)
    assert expected in str(caught.value)
    out = tmp_path / "hardened.yaml"
    code = main(["harden", "--template", str(DATA / "small-vendor.yaml"), "--overlay", str(folder), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "bucket-prefix.yaml" in err
    assert not out.exists()


def test_a_template_the_overlay_cannot_harden_is_one_line_and_exit_2(tmp_path, capsys):
    out = tmp_path / "hardened.yaml"
    code = main(["harden", "--template", str(DATA / "condition-clash.yaml"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "HasBucketPrefix" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources: [unclosed\n")
    assert main(["harden", "--template", str(broken)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


# --- by meaning, on a template nobody wrote the rules for ---------------------------------------

@pytest.fixture(scope="module")
def small():
    template = load_template(DATA / "small-vendor.yaml")
    return template, harden(template)


def test_rules_find_their_targets_by_meaning(small):
    _template, hardening = small
    status = {o.rule.id: o.status for o in hardening.outcomes}
    assert status["bucket-prefix"] == status["policy-creation"] == status["enhanced-security"] == "applied"
    assert status["trust-external-principals"] == status["athena-workgroups"] == "applied"
    for absent in ("internal-api-port", "load-balancer-scheme", "cloudtrail"):
        assert status[absent] == "matched-nothing"
        assert any(absent in w for w in hardening.warnings)
    assert status["task-tls"] == "needs-vendor"


def test_small_template_defaults_change_nothing_and_options_do_what_they_say(small):
    template, hardening = small
    assert compare(template, {}, hardening.template, {}).empty
    scoped = grants(hardening.template, {"CustomerBucketPrefix": "acme-"})
    s3 = [g for g in scoped if allows(g) and "s3:ListBucket" in g.actions]
    sqs = [g for g in scoped if allows(g) and "sqs:ListQueues" in g.actions]
    assert s3[0].resources == ("arn:aws:s3:::acme-*", "arn:aws:s3:::acme-*/*")
    assert sqs[0].resources == ("*",), "the statement's other actions keep the vendor's resource"
    manual = grants(hardening.template, {"PolicyCreationMode": "ManualApproval"})
    worker = [g for g in manual if allows(g) and g.principal == "WorkerRole"]
    assert not any("iam:CreatePolicyVersion" in g.actions for g in worker)
    assert any(g.actions == ("iam:GetPolicy",) for g in worker), "the read-only action stays"
    athena = [g for g in grants(hardening.template, {"AllowedAthenaWorkgroups": "primary"})
              if allows(g) and "athena:StartQueryExecution" in g.actions]
    assert athena[0].resources == ("arn:aws:athena:us-east-1:123456789012:datacatalog/AwsDataCatalog",
                                   "arn:aws:athena:us-east-1:123456789012:workgroup/primary"), \
        "only the broad resource is replaced; the data catalog stays"
    removed = grants(hardening.template, {"TrustExternalPrincipals": "Remove"})
    trust = [g.principal for g in removed if g.kind == "trust"]
    assert trust == ["Service:ecs-tasks.amazonaws.com"]


def test_the_embedded_model_already_has_every_option():
    from wizard.paths import DEFAULT_TEMPLATE

    hardening = harden(load_template(DEFAULT_TEMPLATE))
    assert hardening.added_parameters == []
    statuses = [o.status for o in hardening.outcomes]
    assert statuses.count("already-present") >= 7
    assert set(statuses) <= {"already-present", "needs-vendor", "matched-nothing"}


ANYONE = """
Resources:
  AnyoneRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: '*', Service: ecs-tasks.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: s3:GetObject, Resource: 'arn:aws:s3:::data/*'}
  BareRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: '*', Action: sts:AssumeRole}
"""


def test_a_role_trusting_anyone_trusts_principals_outside_the_account():
    """``*`` (bare or as the AWS principal) is everyone, every other account included: the
    external-principals option matches it, and Remove drops it."""
    from wizard.cfn.template import parse_template
    from wizard.overlay.outsiders import external_trust

    template = parse_template(ANYONE)
    trust = external_trust(template.body)
    assert trust.roles == ("AnyoneRole", "BareRole") and [o.account for o in trust.outsiders] == ["*"]
    hardening = harden(template)
    assert {o.rule.id: o.status for o in hardening.outcomes}["trust-external-principals"] == "applied"
    kept = {(g.source.resource, g.principal) for g in grants(hardening.template, {}) if g.kind == "trust"}
    assert {("AnyoneRole", "AWS:*"), ("BareRole", "*")} <= kept
    removed = {(g.source.resource, g.principal) for g in grants(hardening.template, {"TrustExternalPrincipals": "Remove"})
               if g.kind == "trust"}
    assert removed == {("AnyoneRole", "Service:ecs-tasks.amazonaws.com")}


def test_a_failure_of_the_overlays_own_code_is_a_bug_not_a_bad_template(monkeypatch, tmp_path, capsys):
    """The template was read and checked before any rule saw it: an exception inside a rule is
    the program's fault, raised as such (with a traceback), never a one-line blame on the template."""
    from wizard.memo import Memo
    from wizard.overlay import apply

    def broken(*_args):
        raise KeyError("Statement")

    monkeypatch.setattr(apply, "_apply", broken)
    monkeypatch.setattr(apply, "_CACHE", Memo(maxsize=1))  # no hardening made before the bug
    template = load_template(DATA / "small-vendor.yaml")
    with pytest.raises(apply.OverlayBug) as caught:
        harden(template)
    assert isinstance(caught.value.__cause__, KeyError)
    assert "bug in quilt-wizard" in str(caught.value) and "not a fault of the template" in str(caught.value)
    out = tmp_path / "hardened.yaml"
    with pytest.raises(apply.OverlayBug):
        main(["harden", "--template", str(DATA / "small-vendor.yaml"), "--out", str(out)])
    assert not out.exists()


def test_a_template_clash_stays_the_users_error():
    """A rule that cannot apply to the template (its condition name is taken) is one line for the
    user, not a bug report."""
    with pytest.raises(InputError) as caught:
        harden(load_template(DATA / "condition-clash.yaml"))
    assert "HasBucketPrefix" in str(caught.value)


def test_rule_outcomes_and_matches_are_enums_shown_by_their_value(small):
    from wizard.overlay.apply import PROVENANCE_KEY, RuleStatus
    from wizard.overlay.match import MatchKind

    _template, hardening = small
    assert all(isinstance(o.status, RuleStatus) for o in hardening.outcomes)
    kinds = {m.kind for o in hardening.outcomes for s in o.steps for m in s.matches}
    assert kinds and all(isinstance(k, MatchKind) for k in kinds)
    recorded = hardening.template.body["Metadata"][PROVENANCE_KEY]["Rules"]
    assert {r["Status"] for r in recorded} <= {s.value for s in RuleStatus}
    assert {type(r["Status"]) for r in recorded} == {str}
    rules = hardening.to_json()["rules"]
    assert {type(r["status"]) for r in rules} == {str}
    assert {type(m["kind"]) for r in rules for s in r["steps"] for m in s["matched"]} == {str}


def test_asking_the_overlay_for_a_rule_it_lacks_names_its_rules():
    overlay = load_overlay()
    assert overlay.rule("bucket-prefix").id == "bucket-prefix"
    with pytest.raises(KeyError) as caught:
        overlay.rule("no-such-rule")
    assert "no-such-rule" in str(caught.value) and "bucket-prefix" in str(caught.value)


def test_matching_only_searches_and_the_edits_list_a_single_statement():
    """Every match of the shipped overlay leaves the body as it was, a policy written with one
    Statement mapping included; the edits make that mapping the list of one the match's path
    counts, and a rule then acts on it."""
    import copy

    from wizard.overlay.apply import plain
    from wizard.overlay.edits import listed_statements
    from wizard.overlay.match import find

    body = plain(load_template(DATA / "small-vendor.yaml").body)
    role = next(k for k, v in body["Resources"].items() if v["Type"] == "AWS::IAM::Role")
    trust = body["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]
    trust["Statement"] = trust["Statement"][0]  # one mapping, as a vendor may write it
    before = copy.deepcopy(body)
    found = [m for rule in load_overlay().rules for step in rule.steps if step.match for m in find(body, step.match)]
    assert found and body == before
    on_trust = [m for m in found if m.path[:5] == ("Resources", role, "Properties", "AssumeRolePolicyDocument",
                                                    "Statement")]
    assert on_trust and all(m.path[5] == 0 for m in on_trust)
    listed_statements(body)
    assert trust["Statement"] == [before["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]]
