"""What the wizard shows is what gets deployed: the change set of a headless run on the vendor's
template carries the hardened template, the promised options included."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.cli_run import run_cli
from tests.conftest import DATA

ANSWERS = str(DATA / "overlay" / "answers-vendor.yaml")
ACCOUNT = "123456789012"  # moto's account


def test_the_change_set_uploads_the_hardened_template(session, endpoint, tmp_path, real_template_path):
    session.client("s3").create_bucket(Bucket="acme-cfn-templates")
    # The same answers for moto's account: its certificate and approver must belong to the target account.
    answers = tmp_path / "answers.yaml"
    answers.write_text(Path(ANSWERS).read_text().replace("111122223333", ACCOUNT))
    result = run_cli("--answers", str(answers), "--template", str(real_template_path),
                     "--out", str(tmp_path / "p.json"), "--create-change-set",
                     "--template-bucket", "acme-cfn-templates", "--endpoint-url", endpoint, "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    change_set = summary["aws"]["change_set"]
    assert change_set["template_url"].startswith("https://acme-cfn-templates.s3")  # over 51,200 bytes
    assert "PolicyCreationMode" in change_set["parameter_keys"]
    key = change_set["template_url"].split(".amazonaws.com/", 1)[-1].split("?", 1)[0]
    uploaded = session.client("s3").get_object(Bucket="acme-cfn-templates", Key=key)["Body"].read().decode()
    beside = (tmp_path / "p.json.template.yaml").read_text()
    assert uploaded == beside
    assert "QuiltWizard::Overlay" in yaml.safe_load(uploaded)["Metadata"]
