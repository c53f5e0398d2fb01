"""--plain as complete as the wizard: the target asked, a draft kept, the AWS steps offered."""

from __future__ import annotations

import io
import json

import pytest

from tests.conftest import DATA
from tests.unit.test_prompts import REQUIRED, ScriptedAsker, args
from wizard.commands import aws_steps
from wizard.commands.deploy import offer_aws_steps
from wizard.flow.draft import draft_path, load_draft
from wizard.flow.prompts import run_prompts

WEST_CERT = "arn:aws:acm:us-west-2:444455556666:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def test_the_stack_region_and_account_are_asked(tmp_path):
    required = {**REQUIRED, "RegistryImage": "r/quilt:1", "SearchDomainArn": "arn:aws:es:us-west-2:444455556666:domain/quilt"}
    asker = ScriptedAsker({"Stack name": "quilt-prod", "Region": "us-west-2", "AWS account id": "444455556666",
                           "deployment mode": "standard", "Review the": False, "load balancer use": WEST_CERT,
                           "users reach Quilt": "quilt.example.com", **required})
    out = io.StringIO()
    assert run_prompts(args(tmp_path, account_id=None), asker, out) == 0
    assert {"Stack name", "Region", "AWS account id"} <= set(asker.asked)
    assert "Stack quilt-prod in us-west-2, account 444455556666" in out.getvalue()


class Interrupting(ScriptedAsker):
    """Stops the run (as Ctrl-C does) at the prompt containing ``stop_at``."""

    def __init__(self, script, stop_at: str):
        super().__init__(script)
        self.stop_at = stop_at

    def _pick(self, message, default):
        if self.stop_at in message:
            raise KeyboardInterrupt
        return super()._pick(message, default)


def test_a_draft_is_kept_after_every_answer_and_resumed(tmp_path):
    script = {"deployment mode": "restricted", "S3 buckets": "acme-data-", "Review the": False,
              "Who approves": "arn:aws:iam::111122223333:role/quilt-approver"}
    with pytest.raises(KeyboardInterrupt):
        run_prompts(args(tmp_path), Interrupting(script, "Athena workgroups"), io.StringIO())
    draft = load_draft()
    assert draft is not None and draft.profile == "restricted" and draft.answers["bucket_scope"] == "acme-data-"
    asker = ScriptedAsker({"Resume the unfinished run": True, "Review the": False,
                           "Who approves": "arn:aws:iam::111122223333:role/quilt-approver",
                           "load balancer use": "arn:aws:acm:us-east-1:111122223333:certificate/"
                                                "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                           "users reach Quilt": "quilt.example.com", **REQUIRED})
    assert run_prompts(args(tmp_path), asker, io.StringIO()) == 0
    assert "deployment mode" not in " ".join(asker.asked)  # the mode came back with the draft
    text = (tmp_path / "plain.json").read_text()
    assert '"acme-data-"' in text  # the answer typed before the interruption is the default kept
    assert not draft_path().exists()  # written: the draft is gone


SMALL = str(DATA / "templates" / "fleet-small.yaml")


def _interrupted_on_the_embedded_template(tmp_path):
    script = {"deployment mode": "restricted", "S3 buckets": "acme-data-", "Review the": False,
              "Who approves": "arn:aws:iam::111122223333:role/quilt-approver"}
    with pytest.raises(KeyboardInterrupt):
        run_prompts(args(tmp_path), Interrupting(script, "Athena workgroups"), io.StringIO())


@pytest.mark.parametrize("choice", ["current", "draft"])
def test_a_draft_of_another_template_asks_which_one_and_never_mixes_them(tmp_path, choice):
    _interrupted_on_the_embedded_template(tmp_path)
    asker = ScriptedAsker({"on which template": choice, "Review the": False, "VPC": "vpc-0123456789abcdef0",
                           "Who approves": "arn:aws:iam::111122223333:role/quilt-approver",
                           "load balancer use": "arn:aws:acm:us-east-1:111122223333:certificate/"
                                                "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                           "users reach Quilt": "quilt.example.com", **REQUIRED})
    out = io.StringIO()
    assert run_prompts(args(tmp_path, template=SMALL), asker, out) == 0
    assert any("on which template" in message for message in asker.asked)
    assert f"The unfinished run was made on the embedded template; this run uses {SMALL}." in out.getvalue()
    written = json.loads((tmp_path / "plain.json").read_text())
    values = {p["ParameterKey"]: p["ParameterValue"] for p in written}
    assert values["CustomerBucketPrefix"] == "acme-data-"  # the answer that applies to both is kept
    if choice == "current":
        assert set(values) == {"CustomerBucketPrefix", "TopicName", "VPC", "Token"}  # the small template's
    else:
        assert values["PolicyCreationMode"] == "ManualApproval" and "TopicName" not in values  # the embedded one's


class FailedReport:
    ok = False
    failed = ["certificate"]


def test_the_end_offers_the_preflight_then_refuses_the_change_set_without_override(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(aws_steps, "session_for", lambda a, region: "aws")
    monkeypatch.setattr(aws_steps, "run_preflight_step", lambda *a, **k: calls.append("preflight") or FailedReport())
    monkeypatch.setattr(aws_steps, "run_change_set_step", lambda *a, **k: calls.append("change set"))
    monkeypatch.setattr("wizard.aws.render_preflight", lambda report: "Preflight: Not ready")
    asker = ScriptedAsker({"deployment mode": "standard", "Review the": False, "Run the preflight": True,
                           "Create a change set": True, "Type override": "",
                           "load balancer use": "arn:aws:acm:us-east-1:111122223333:certificate/"
                                                "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                           "users reach Quilt": "quilt.example.com", **REQUIRED})
    out = io.StringIO()
    options = args(tmp_path, template_bucket="b", change_set_name=None, aws_profile=None, endpoint_url=None)
    assert run_prompts(options, asker, out, after=lambda flow: offer_aws_steps(options, flow)) == 0
    assert calls == ["preflight"] and "No change set created." in out.getvalue()


def test_each_answer_leads_with_the_change_in_findings(tmp_path):
    asker = ScriptedAsker({"deployment mode": "standard", "IAM policies be created": "manual", "Review the": False,
                           "Who approves": "arn:aws:iam::111122223333:role/quilt-approver",
                           "load balancer use": "arn:aws:acm:us-east-1:111122223333:certificate/"
                                                "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                           "users reach Quilt": "quilt.example.com", **REQUIRED})
    out = io.StringIO()
    assert run_prompts(args(tmp_path), asker, out) == 0
    text = out.getvalue()
    first = text.index("Findings: -1 critical")
    assert text.index("- CRITICAL QW-ESC-002", first) < text.index("What this answer changes", first)
