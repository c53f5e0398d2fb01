"""The approvers manual approval trusts are checked where they are typed, in every face: a role or
user of the stack's account, in the form IAM takes, at least one when manual approval is chosen.
(The Textual face: ``tests/functional/test_vendor_template.py``.)"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from tests.unit.test_prompts import ScriptedAsker
from wizard.cfn.pseudo import Pseudo
from wizard.cli import main
from wizard.flow.checks import value_problem

SMALL = Path(__file__).resolve().parents[1] / "data" / "overlay" / "small-vendor.yaml"
PSEUDO = Pseudo("qa", "us-east-1", "111122223333")
MINE = "arn:aws:iam::111122223333:role/quilt-approver"


@pytest.mark.parametrize("value,expected", [
    ("arn:aws:iam::999988887777:role/approver", "belongs to account 999988887777"),
    (f"{MINE},arn:aws:iam::999988887777:user/bob", "belongs to account 999988887777"),
    ("arn:aws:sts::111122223333:assumed-role/Admin/alice", "is a session, not a principal: name its role, "
                                                          "arn:aws:iam::111122223333:role/Admin"),
    ("arn:aws:iam::111122223333:group/admins", "is not the ARN of an IAM role or user"),
    (f"{MINE},,arn:aws:iam::111122223333:user/alice", "an empty entry between commas"),
    ("", "required: manual approval trusts only the approvers named here"),
])
def test_the_core_refuses_what_no_approver_can_be(value, expected):
    assert expected in value_problem("ApproverPrincipalArn", value, PSEUDO, {})


def test_the_core_takes_roles_and_users_of_the_account_and_needs_them_only_for_manual_approval():
    sso = ("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-1/"
           "AWSReservedSSO_Admin_0123456789abcdef")
    assert value_problem("ApproverPrincipalArn", f"{MINE},arn:aws:iam::111122223333:user/alice,{sso}", PSEUDO, {}) is None
    assert value_problem("ApproverPrincipalArn", "", PSEUDO, {}, {"PolicyCreationMode": "Automatic"}) is None
    assert value_problem("ApproverPrincipalArn", "", PSEUDO, {}, {"PolicyCreationMode": "ManualApproval"})


def _answers(tmp_path: Path, approvers: str | None, mode: str = "manual") -> str:
    lines = ["version: 1", "stack: {name: qa, region: us-east-1, account_id: '111122223333'}", "answers:",
             f"  policy_creation: {mode}", "  bucket_scope: acme-"]
    if approvers is not None:
        lines.append(f"  approvers: '{approvers}'")
    lines.append(f"output: {{path: {tmp_path / 'p.json'}, format: cfn}}")
    path = tmp_path / "answers.yaml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("approvers,expected", [
    ("arn:aws:iam::999988887777:role/approver", "answers.yaml:6: /answers/approvers (ApproverPrincipalArn): this "
                                                "approver belongs to account 999988887777; the stack deploys to "
                                                "account 111122223333"),
    ("arn:aws:iam::111122223333:root", "answers.yaml:6: /answers/approvers (ApproverPrincipalArn): "
                                       "'arn:aws:iam::111122223333:root' does not match AllowedPattern"),
    (None, "Rules/ManualApprovalNeedsApprovers: PolicyCreationMode ManualApproval needs ApproverPrincipalArn"),
])
def test_headless_refuses_a_bad_approver_in_one_line_and_writes_nothing(tmp_path, capsys, approvers, expected):
    assert main(["--answers", _answers(tmp_path, approvers), "--template", str(SMALL)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines
    assert not (tmp_path / "p.json").exists()


def test_headless_writes_the_approvers_and_needs_none_without_manual_approval(tmp_path, capsys):
    assert main(["--answers", _answers(tmp_path, MINE), "--template", str(SMALL)]) == 0
    assert f'"ParameterValue": "{MINE}"' in (tmp_path / "p.json").read_text()
    (tmp_path / "p.json").unlink()
    assert main(["--answers", _answers(tmp_path, None, mode="automatic"), "--template", str(SMALL), "--force"]) == 0


class RecordingAsker(ScriptedAsker):
    """Answers from the script and keeps each text prompt's validator."""

    def __init__(self, script):
        super().__init__(script)
        self.validators = {}

    def text(self, message, default, validate=None, secret=False):
        self.validators[message] = validate
        return super().text(message, default, validate, secret)


def test_the_prompts_refuse_a_bad_approver_where_it_is_typed(tmp_path):
    from wizard.flow.prompts import run_prompts

    asker = RecordingAsker({"deployment mode": "standard", "How should IAM policies": "manual",
                            "S3 buckets": "acme-", "approves the IAM policies": MINE, "Review the": False})
    args = argparse.Namespace(template=str(SMALL), stack_name="qa", region="us-east-1", account_id="111122223333",
                              set_values=[], profile=None, out=str(tmp_path / "plain.json"), format="cfn",
                              baseline=None, force=False)
    assert run_prompts(args, asker, io.StringIO()) == 0
    validate = next(v for message, v in asker.validators.items() if "approves the IAM policies" in message)
    assert "belongs to account 999988887777" in validate("arn:aws:iam::999988887777:role/approver")
    assert "does not match AllowedPattern" in validate("arn:aws:iam::111122223333:root")
    assert validate("").startswith("required: ")
    assert validate(MINE) is True
    assert MINE in (tmp_path / "plain.json").read_text()
