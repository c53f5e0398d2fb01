"""The --plain face, driven by a scripted prompt layer: same catalog, same parameter file."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from wizard.errors import InputError
from wizard.flow.prompts import PromptFlow, run_prompts

REQUIRED = {
    "AdminEmail": "admin@example.com",
    "RegistryImage": "111122223333.dkr.ecr.us-east-1.amazonaws.com/quilt:1",
    "SearchDomainArn": "arn:aws:es:us-east-1:111122223333:domain/quilt",
    "CloudTrailBucket": "example-trail",
    "VPC": "vpc-0123456789abcdef0",
    "Subnets": "subnet-00000001,subnet-00000002",
    "PublicSubnets": "subnet-00000003",
}


class ScriptedAsker:
    """Answers prompts from a script keyed by words of the prompt; records what was asked."""

    def __init__(self, script: dict[str, object]):
        self.script = script
        self.asked: list[str] = []

    def _pick(self, message: str, default):
        self.asked.append(message)
        for key, value in self.script.items():  # a parameter prompt starts with its name
            if message == key or message.startswith(key + " ("):
                return value
        for key, value in self.script.items():
            if " " in key and key in message:
                return value
        return default

    def select(self, message, choices, default):
        value = self._pick(message, default)
        assert value in [v for v, _ in choices], (message, value)
        return value

    def checkbox(self, message, choices, default):
        return list(self._pick(message, default))

    def text(self, message, default, validate=None, secret=False):
        value = self._pick(message, default)
        if validate is not None:
            assert validate(value) is True, (message, value, validate(value))
        return value

    def confirm(self, message, default):
        return self._pick(message, default)


def args(tmp_path, **overrides):
    base = dict(template=None, stack_name=None, region=None, account_id="111122223333", set_values=[],
                profile=None, out=str(tmp_path / "plain.json"), format="cfn", baseline=None, force=False)
    base.update(overrides)
    return argparse.Namespace(**base)


def test_plain_prompts_walk_the_catalog_and_write_the_file(tmp_path):
    script = {
        "deployment mode": "standard",
        "IAM policies be created": "manual",
        "Who approves": "arn:aws:iam::111122223333:role/quilt-approver",
        "compliance frameworks": ["hipaa"],
        "S3 buckets": "acme-data-",
        "CloudWatch Logs?": "yes",
        "log group": "",
        "load balancer use": "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "users reach Quilt": "quilt.example.com",
        "Review the": False,
        **REQUIRED,
    }
    asker = ScriptedAsker(script)
    out = io.StringIO()
    assert run_prompts(args(tmp_path), asker, out) == 0
    values = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads((tmp_path / "plain.json").read_text())}
    assert values["PolicyCreationMode"] == "ManualApproval"
    assert values["CustomerBucketPrefix"] == "acme-data-"
    assert values["EnableCloudWatchIntegration"] == "true"
    text = out.getvalue()
    assert "What this answer changes" in text          # the diff after an answer
    assert "iam:CreatePolicy" in text                    # manual approval removes run-time creation
    assert any("log group" in m for m in asker.asked)    # asked because CloudWatch was chosen
    assert "Wrote" in text


def test_the_log_group_is_not_asked_without_cloudwatch(tmp_path):
    asker = ScriptedAsker({"deployment mode": "standard", "Review the": False,
                           "load balancer use": "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                           "users reach Quilt": "quilt.example.com", **REQUIRED})
    assert run_prompts(args(tmp_path), asker, io.StringIO()) == 0
    assert not any("log group" in m for m in asker.asked)


def test_the_plain_face_refuses_a_non_terminal(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(InputError, match="needs an interactive terminal"):
        run_prompts(args(tmp_path))


def test_prompt_validation_uses_the_template_pattern(tmp_path):
    flow = PromptFlow(args(tmp_path), ScriptedAsker({}), io.StringIO())
    check = flow._validator(flow.catalog.question("bucket_scope"))
    assert check("acme-data-") is True
    assert "does not match AllowedPattern" in check("acme-*")


def test_values_given_with_set_are_the_defaults_of_their_questions(tmp_path):
    certificate = "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    asker = ScriptedAsker({"deployment mode": "standard", "Review the": False, **REQUIRED})
    settings = [f"CertificateArnELB={certificate}", "QuiltWebHost=quilt.example.com"]
    assert run_prompts(args(tmp_path, set_values=settings), asker, io.StringIO()) == 0
    values = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads((tmp_path / "plain.json").read_text())}
    assert values["CertificateArnELB"] == certificate and values["QuiltWebHost"] == "quilt.example.com"


def test_a_value_typed_at_the_prompt_wins_over_its_set_default(tmp_path):
    asker = ScriptedAsker({"deployment mode": "standard", "Review the": False, "S3 buckets": "typed-prefix",
                           "load balancer use": "arn:aws:acm:us-east-1:111122223333:certificate/"
                                                "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                           "users reach Quilt": "quilt.example.com", **REQUIRED})
    assert run_prompts(args(tmp_path, set_values=["CustomerBucketPrefix=set-prefix"]), asker, io.StringIO()) == 0
    values = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads((tmp_path / "plain.json").read_text())}
    assert values["CustomerBucketPrefix"] == "typed-prefix"


def test_a_set_value_is_the_default_even_where_the_mode_answers_the_question(tmp_path):
    key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    asker = ScriptedAsker({"deployment mode": "restricted", "Review the": False,
                           "S3 buckets may Quilt reach": "acme-quilt-",  # restricted requires the prefix
                           "Who approves": "arn:aws:iam::111122223333:role/quilt-approver",  # and approvers
                           "load balancer use": "arn:aws:acm:us-east-1:111122223333:certificate/"
                                                "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                           "users reach Quilt": "quilt.example.com", **REQUIRED})
    assert run_prompts(args(tmp_path, set_values=[f"KMSKeyId={key}"]), asker, io.StringIO()) == 0
    values = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads((tmp_path / "plain.json").read_text())}
    assert values["KMSKeyId"] == key  # restricted answers cloudtrail_kms with "", --set still counts


def test_the_prompts_refuse_a_value_not_of_its_aws_type(tmp_path):
    class FirstTypedWrong(ScriptedAsker):
        """Types ``foo`` at the VPC prompt first, and the valid value once it is refused."""

        def __init__(self, script):
            super().__init__(script)
            self.refused: list[str] = []

        def text(self, message, default, validate=None, secret=False):
            if message.startswith("VPC (") and validate is not None:
                problem = validate("foo")
                assert problem is not True
                self.refused.append(problem)
            return super().text(message, default, validate, secret)

    asker = FirstTypedWrong({"deployment mode": "standard", "Review the": False,
                             "load balancer use": "arn:aws:acm:us-east-1:111122223333:certificate/"
                                                  "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                             "users reach Quilt": "quilt.example.com", **REQUIRED})
    assert run_prompts(args(tmp_path), asker, io.StringIO()) == 0
    assert asker.refused == ["'foo' is not AWS::EC2::VPC::Id: expected vpc- followed by 8 or 17 hexadecimal "
                             "digits, such as vpc-0123456789abcdef0"]
