"""The plain face offers the tfvars format, and then proposes a name Terraform reads itself."""

from __future__ import annotations

import io
import json

from tests.unit.test_prompts import REQUIRED, ScriptedAsker, args
from wizard.flow.prompts import run_prompts


def test_choosing_tfvars_proposes_an_auto_tfvars_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    asker = ScriptedAsker({"deployment mode": "standard", "Review the": False, "Format": "tfvars",
                           "load balancer use": "arn:aws:acm:us-east-1:111122223333:certificate/"
                                                "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                           "users reach Quilt": "quilt.example.com", **REQUIRED})
    assert run_prompts(args(tmp_path, out=None, format=None), asker, io.StringIO()) == 0
    assert asker.asked.index("Format") < asker.asked.index("Write the parameter file to")
    body = json.loads((tmp_path / "quilt.auto.tfvars.json").read_text())
    assert body["parameters"]["QuiltWebHost"] == "quilt.example.com"
    assert "VPC" not in body["parameters"] and body["template_file"].endswith("quilt.yaml")
