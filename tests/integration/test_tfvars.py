"""The ``tfvars`` format: a Terraform variables file for the vendor's module, read back by
Terraform itself when it is installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.conftest import DATA
from wizard.flow.paramfile import read_parameter_file, render_parameter_file, terraform_module

GOOD = str(DATA / "answers" / "good-standard.yaml")

SECRET_TEMPLATE = """\
Parameters:
  QuiltWebHost: {Type: String}
  VPC: {Type: String}
  DBUrl: {Type: String, NoEcho: true}
  OktaClientSecret: {Type: String, NoEcho: true}
Resources:
  Topic: {Type: 'AWS::SNS::Topic'}
"""


def test_computed_and_secret_parameters_stay_out_with_a_note() -> None:
    values = {"QuiltWebHost": "q.acme.com", "VPC": "vpc-00000001", "DBUrl": "postgresql://u:p@h/d",
              "OktaClientSecret": "s3cret"}
    text = render_parameter_file(values, "tfvars", secrets=frozenset({"DBUrl", "OktaClientSecret"}),
                                 template_file="quilt.yaml")
    body = json.loads(text)
    assert body["parameters"] == {"QuiltWebHost": "q.acme.com"}
    assert body["template_file"] == "quilt.yaml"
    assert "s3cret" not in text and "postgresql" not in text
    note = body["//"]
    assert "VPC (set vpc_id)" in note and "DBUrl" in note.split("Secret")[0]  # computed, not a secret note
    assert "Secret (NoEcho) parameters not written: OktaClientSecret;" in note
    assert set(terraform_module()["computed"]) >= {"VPC", "Subnets", "DBUrl", "SearchDomainArn", "AdminPassword"}


def test_a_headless_run_writes_the_auto_tfvars_file_beside_the_template(tmp_path: Path) -> None:
    template = tmp_path / "quilt.yaml"
    template.write_text(SECRET_TEMPLATE)
    answers = tmp_path / "answers.yaml"
    answers.write_text("version: 1\nparameters:\n  QuiltWebHost: q.acme.com\n  VPC: vpc-00000001\n"
                       "  DBUrl: postgresql://u:p@h/d\n  OktaClientSecret: s3cret\n")
    result = run_cli("--answers", str(answers), "--template", str(template), "--format", "tfvars", cwd=tmp_path)
    assert result.code == 0, result.err
    written = tmp_path / "quilt.auto.tfvars.json"
    body = json.loads(written.read_text())
    assert body["template_file"] == "quilt.yaml"  # relative to the file, as Terraform resolves it
    assert body["parameters"] == {"QuiltWebHost": "q.acme.com"}
    assert "s3cret" not in written.read_text()
    assert read_parameter_file(written) == {"QuiltWebHost": "q.acme.com"}  # usable as a --baseline


def test_a_name_terraform_would_not_read_is_refused(tmp_path: Path) -> None:
    result = run_cli("--answers", GOOD, "--format", "tfvars", "--out", str(tmp_path / "quilt.json"))
    assert result.code == 2 and ".tfvars.json" in result.err
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_reads_the_file_as_the_module_variables(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text('variable "parameters" {\n  type = map(any)\n}\n'
                                  'variable "template_file" {\n  type = string\n}\n')
    result = run_cli("--answers", GOOD, "--format", "tfvars", "--out", str(root / "quilt.auto.tfvars.json"))
    assert result.code == 0, result.err
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    subprocess.run(["terraform", "init", "-input=false", "-no-color"], cwd=root, env=env, check=True,
                   capture_output=True, timeout=120)
    shown = subprocess.run(["terraform", "console", "-no-color"], cwd=root, env=env, capture_output=True,
                           text=True, input="jsonencode({p = var.parameters, t = var.template_file})\n",
                           timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "Warning" not in shown.stderr  # the "//" note is a comment, not an undeclared variable
    seen = json.loads(json.loads(shown.stdout.strip()))
    assert seen["p"]["QuiltWebHost"] == "quilt.example.com"
    assert "VPC" not in seen["p"] and "Subnets" not in seen["p"]
    assert seen["t"].endswith("quilt.yaml")


def test_template_file_is_the_hardened_template_when_the_overlay_wrote_one(tmp_path: Path) -> None:
    vendor = DATA / "overlay" / "small-vendor.yaml"
    answers = tmp_path / "answers.yaml"
    answers.write_text("version: 1\nmode: standard\n")
    result = run_cli("--answers", str(answers), "--template", str(vendor), "--format", "tfvars", cwd=tmp_path)
    assert result.code == 0, result.err
    body = json.loads((tmp_path / "quilt.auto.tfvars.json").read_text())
    assert body["template_file"] == "quilt.auto.tfvars.json.template.yaml"
    assert (tmp_path / body["template_file"]).is_file()
    assert set(body["parameters"]) >= {"PolicyCreationMode", "CustomerBucketPrefix"}  # the overlay's options
