"""``quilt-wizard fleet`` against the local moto server: a stack set, its instances and their overrides."""

from __future__ import annotations

import json

from tests.cli_run import run_cli
from tests.conftest import DATA
from wizard.aws.stacksets import ADMINISTRATION_ROLE, PROFILE_TAG
from wizard.cli import main
from wizard.flow.profiles import user_profiles_dir

SMALL = str(DATA / "templates" / "fleet-small.yaml")
A, B = "111122223333", "444455556666"
NAME = "quilt-fleet"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def write_profile(b_answers: str = '{bucket_scope: ""}', name: str = "teams") -> None:
    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(f"""name: {name}
extends: standard
answers: {{bucket_scope: acme-data-}}
accounts:
  "{A}": {{parameters: {{VPC: vpc-0123456789abcdef0}}}}
  "{B}": {{answers: {b_answers}, parameters: {{VPC: vpc-0123456789abcdef1}}}}
""")


def deploy(endpoint: str, *extra: str) -> int:
    return main(["fleet", "deploy", "--profile", "teams", "--stack-set-name", NAME, "-t", SMALL, "--yes",
                 "--endpoint-url", endpoint, *extra])


def overrides(session, account: str) -> dict[str, str]:
    instance = session.client("cloudformation").describe_stack_instance(
        StackSetName=NAME, StackInstanceAccount=account, StackInstanceRegion="us-east-1")["StackInstance"]
    return {p["ParameterKey"]: p["ParameterValue"] for p in instance["ParameterOverrides"]}


def test_deploy_creates_the_stack_set_and_each_account_with_its_overrides(session, endpoint, capsys):
    session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    write_profile()
    assert deploy(endpoint, "--max-concurrent", "2") == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    cloudformation = session.client("cloudformation")
    stack_set = cloudformation.describe_stack_set(StackSetName=NAME)["StackSet"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack_set["Parameters"]}
    assert parameters["CustomerBucketPrefix"] == "acme-data-" and parameters["VPC"] == ""
    assert {t["Key"]: t["Value"] for t in stack_set["Tags"]} == {PROFILE_TAG: "teams"}
    assert overrides(session, A) == {"VPC": "vpc-0123456789abcdef0"}
    assert overrides(session, B) == {"CustomerBucketPrefix": "", "VPC": "vpc-0123456789abcdef1"}
    # The plan was shown, the roles checked, each operation followed, and the instances tabled.
    assert "BROADENING" in captured.out and "Stack instances" in captured.out
    assert f"role {ADMINISTRATION_ROLE} in account 123456789012: found" in captured.err
    assert "SUCCEEDED" in captured.err
    assert A in captured.out.split("Stack instances")[-1] and B in captured.out.split("Stack instances")[-1]


def test_updating_one_accounts_override_updates_only_that_instance(session, endpoint, capsys):
    session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    write_profile()
    assert deploy(endpoint) == 0
    capsys.readouterr()
    cloudformation = session.client("cloudformation")
    before = len(cloudformation.list_stack_set_operations(StackSetName=NAME)["Summaries"])
    write_profile(b_answers="{bucket_scope: acme-team-b-}")
    assert deploy(endpoint, "--json") == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)
    assert [o["action"] for o in result["operations"]] == ["UPDATE"]
    assert [(r["account"], r["region"]) for r in result["operations"][0]["results"]] == [(B, "us-east-1")]
    assert overrides(session, B) == {"CustomerBucketPrefix": "acme-team-b-", "VPC": "vpc-0123456789abcdef1"}
    assert overrides(session, A) == {"VPC": "vpc-0123456789abcdef0"}
    assert len(cloudformation.list_stack_set_operations(StackSetName=NAME)["Summaries"]) == before + 1
    # The same profile again: nothing to send.
    assert deploy(endpoint, "--json") == 0
    assert json.loads(capsys.readouterr().out)["operations"] == []


def test_status_shows_the_overrides_and_an_instance_changed_outside_the_wizard(session, endpoint, capsys):
    session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    write_profile()
    assert deploy(endpoint) == 0
    capsys.readouterr()
    status = ["fleet", "status", "--stack-set-name", NAME, "--endpoint-url", endpoint]
    assert main([*status, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["profile"] == "teams" and not data["differs_from_profile"]
    assert {i["account"]: i["overrides"] for i in data["instances"]} == {
        A: {"VPC": "vpc-0123456789abcdef0"}, B: {"CustomerBucketPrefix": "", "VPC": "vpc-0123456789abcdef1"}}
    # Someone widens account A by hand, outside the wizard.
    session.client("cloudformation").update_stack_instances(
        StackSetName=NAME, Accounts=[A], Regions=["us-east-1"],
        ParameterOverrides=[{"ParameterKey": "VPC", "ParameterValue": "vpc-0123456789abcdef0"},
                            {"ParameterKey": "CustomerBucketPrefix", "ParameterValue": ""}])
    assert main([*status, "--fail-on-difference"]) == 1
    out = capsys.readouterr().out
    assert "! CustomerBucketPrefix: runs '', profile 'acme-data-'" in out
    row = next(line for line in out.splitlines() if A in line and "us-east-1" in line)
    assert row.lstrip().startswith("!")


def test_an_invalid_override_is_refused_before_any_call(session, endpoint, capsys):
    write_profile(b_answers='{bucket_scope: "*"}')
    assert deploy(endpoint) == 2
    err = capsys.readouterr().err
    assert f"account {B} in us-east-1" in err and "CustomerBucketPrefix" in err
    assert session.client("cloudformation").list_stack_sets()["Summaries"] == []


def test_a_missing_administration_role_is_named_and_nothing_is_created(session, endpoint, capsys):
    write_profile()
    assert deploy(endpoint) == 1
    err = capsys.readouterr().err
    assert f"{ADMINISTRATION_ROLE} in account 123456789012" in err and "stacksets-prereqs" in err
    assert session.client("cloudformation").list_stack_sets()["Summaries"] == []


def test_without_a_terminal_deploy_needs_yes_before_any_call(session, endpoint):
    write_profile()
    result = run_cli("fleet", "deploy", "--profile", "teams", "--stack-set-name", NAME, "-t", SMALL,
                     "--endpoint-url", endpoint, stdin="")
    assert result.code == 2 and "--yes" in result.err
    assert session.client("cloudformation").list_stack_sets()["Summaries"] == []


def test_a_changed_shared_value_updates_the_stack_set_and_keeps_a_secret_set_by_hand(session, endpoint, capsys):
    session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    write_profile()
    assert deploy(endpoint) == 0
    cloudformation = session.client("cloudformation")
    current = cloudformation.describe_stack_set(StackSetName=NAME)["StackSet"]["Parameters"]
    by_hand = [{"ParameterKey": p["ParameterKey"], "ParameterValue": "typed-by-an-operator"}
               if p["ParameterKey"] == "Token" else {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
               for p in current]
    cloudformation.update_stack_set(StackSetName=NAME, UsePreviousTemplate=True, Parameters=by_hand,
                                    Capabilities=["CAPABILITY_IAM"], OperationId="by-hand")
    capsys.readouterr()
    user_profiles_dir().joinpath("teams.yaml").write_text(
        user_profiles_dir().joinpath("teams.yaml").read_text().replace("acme-data-", "acme-shared-"))
    assert deploy(endpoint, "--json") == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)
    assert result["operations"][0]["action"] == "UPDATE"
    parameters = {p["ParameterKey"]: p["ParameterValue"]
                  for p in cloudformation.describe_stack_set(StackSetName=NAME)["StackSet"]["Parameters"]}
    assert parameters["CustomerBucketPrefix"] == "acme-shared-"
    assert parameters["Token"] == "typed-by-an-operator"
    assert "typed-by-an-operator" not in json.dumps(result)


def test_at_a_terminal_deploy_sends_nothing_unless_the_stack_set_name_is_typed(session, endpoint):
    import os
    import pty
    import subprocess
    import sys

    session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    write_profile()
    command = [sys.executable, "-m", "wizard", "fleet", "deploy", "--profile", "teams", "--stack-set-name", NAME,
               "-t", SMALL, "--endpoint-url", endpoint]
    for typed, created in (("quilt-other\n", False), (f"{NAME}\n", True)):
        main_fd, terminal = pty.openpty()
        try:
            os.write(main_fd, typed.encode())
            proc = subprocess.run(command, stdin=terminal, capture_output=True, text=True, timeout=120)
        finally:
            os.close(main_fd)
            os.close(terminal)
        assert proc.returncode == 0, proc.stderr
        assert f"Deploy stack set {NAME}? Type its name to confirm" in proc.stderr
        names = [s["StackSetName"] for s in session.client("cloudformation").list_stack_sets()["Summaries"]]
        assert (names == [NAME]) is created, proc.stderr
        assert ("Not deployed." in proc.stderr) is not created


def test_a_failed_operation_ends_with_the_table_and_exit_3_naming_the_instance(session, endpoint, capsys,
                                                                               monkeypatch):
    """moto's operations always succeed: the second one is reported as CloudFormation reports a
    missing execution role."""
    from dataclasses import replace

    from wizard.aws import stacksets

    real = stacksets.follow_operation
    seen = []

    def failing_second(*args, **kwargs):
        result = real(*args, **kwargs)
        seen.append(result)
        if len(seen) < 2:
            return result
        failed = tuple(replace(r, status="FAILED", reason=f"Account {r.account} should have "
                               "'AWSCloudFormationStackSetExecutionRole' role") for r in result.results)
        return replace(result, status="FAILED", results=failed)

    monkeypatch.setattr(stacksets, "follow_operation", failing_second)
    session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    write_profile()
    assert deploy(endpoint) == 3
    captured = capsys.readouterr()
    assert "Stack instances" in captured.out
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("quilt-wizard: stack set quilt-fleet: operation") and "FAILED" in last
    assert f"{B} us-east-1: Account {B} should have 'AWSCloudFormationStackSetExecutionRole' role" in last


def test_a_template_over_the_inline_limit_goes_through_the_template_bucket(session, endpoint, tmp_path, capsys):
    from pathlib import Path

    big = tmp_path / "big.yaml"
    padding = "x" * 52_000
    big.write_text(Path(SMALL).read_text() + f"Metadata:\n  Padding: {padding}\n")
    session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    session.client("s3").create_bucket(Bucket="acme-cfn-templates")
    write_profile()
    command = ["fleet", "deploy", "--profile", "teams", "--stack-set-name", NAME, "-t", str(big), "--yes",
               "--endpoint-url", endpoint]
    assert main(command) == 2
    assert "--template-bucket" in capsys.readouterr().err
    assert session.client("cloudformation").list_stack_sets()["Summaries"] == []
    assert main([*command, "--template-bucket", "acme-cfn-templates"]) == 0, capsys.readouterr().err
    keys = [o["Key"] for o in session.client("s3").list_objects_v2(Bucket="acme-cfn-templates")["Contents"]]
    assert len(keys) == 1 and keys[0].startswith(f"quilt-wizard/stacksets/{NAME}/")
    body = session.client("cloudformation").describe_stack_set(StackSetName=NAME)["StackSet"]["TemplateBody"]
    assert padding in body
