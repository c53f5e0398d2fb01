"""The frameworks question does what its text says: HIPAA and PCI DSS recommend later answers."""

from __future__ import annotations

import io

from tests.unit.test_prompts import REQUIRED, ScriptedAsker, args
from wizard.cli import main
from wizard.flow.catalog import load_catalog
from wizard.flow.prompts import run_prompts

CERT = "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def test_hipaa_and_pci_recommend_the_key_cloudwatch_and_multi_region_logging():
    catalog = load_catalog()
    found = catalog.recommendations({"frameworks": ["hipaa", "pci-dss"]})
    assert set(found) == {"cloudtrail_kms", "cloudwatch", "tighter_security"}
    assert found["cloudwatch"].value == "yes" and found["cloudwatch"].by == ("HIPAA", "PCI DSS v4")
    assert found["cloudtrail_kms"].met("arn:aws:kms:us-east-1:111122223333:key/x")
    assert not found["cloudtrail_kms"].met("")
    assert catalog.recommendations({"frameworks": ["soc2"]}) == {}
    assert "multi-region" in catalog.question("frameworks").help  # the text says what it does


def test_the_summary_names_recommendations_not_followed(tmp_path, capsys):
    out = tmp_path / "p.json"
    assert main(["--answers", "examples/answers.yaml", "--out", str(out), "--set", "KMSKeyId="]) == 0
    text = capsys.readouterr().out
    assert "Recommended by the frameworks chosen, not followed" in text
    assert "KMS key? — for HIPAA: a KMSKeyId value" in text
    assert main(["--answers", "examples/answers.yaml", "--out", str(tmp_path / "q.json")]) == 0
    assert "not followed" not in capsys.readouterr().out


def test_the_prompts_say_what_is_recommended(tmp_path):
    asker = ScriptedAsker({"deployment mode": "standard", "compliance frameworks": ["hipaa"], "Review the": False,
                           "load balancer use": CERT, "users reach Quilt": "quilt.example.com", **REQUIRED})
    out = io.StringIO()
    assert run_prompts(args(tmp_path), asker, out) == 0
    assert "Recommended for HIPAA: Yes, integrate with CloudWatch Logs" in out.getvalue()
