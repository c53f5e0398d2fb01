"""The three faces decide the same parameters from the same inputs.

A saved profile with per-account values (certificate, KMS key, VPC), an answers file (or the
same answers typed), and ``--set`` values: the wizard walked with the keyboard, the line
prompts and the headless run must write the same parameter file.
"""

from __future__ import annotations

import io
import json

import yaml

from screens.app import build_app
from screens.widgets.choice_list import ChoiceList
from tests.functional.helpers import advance_to, press, settle
from tests.unit.test_prompts import ScriptedAsker, args
from wizard.cli import main
from wizard.flow.prompts import run_prompts

ACCOUNT = "123456789012"
OTHER = "111122223333"
CERTIFICATE = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
KMS_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SETTINGS = {
    "AdminEmail": "admin@acme.com",
    "RegistryImage": "r/quilt:1",
    "SearchDomainArn": f"arn:aws:es:us-east-1:{ACCOUNT}:domain/quilt",
    "CloudTrailBucket": "acme-trail",
    "Subnets": "subnet-00000a01,subnet-00000a02",
    "PublicSubnets": "subnet-00000a03",
    "QuiltWebHost": "quilt.acme.com",
}
ANSWERS = {"bucket_scope": "acme-quilt-", "lb_scheme": "internal"}


def _profile(home) -> None:
    folder = home / "config" / "profiles"
    folder.mkdir(parents=True)
    document = {
        "name": "acme", "extends": "restricted",
        "accounts": {
            ACCOUNT: {"parameters": {"CertificateArnELB": CERTIFICATE, "KMSKeyId": KMS_KEY,
                                     "VPC": "vpc-0a1b2c3d4e5f60718",
                                     "ApproverPrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/quilt-approver"}},
            OTHER: {"parameters": {"CertificateArnELB": CERTIFICATE.replace(ACCOUNT, OTHER),
                                   "KMSKeyId": KMS_KEY.replace(ACCOUNT, OTHER), "VPC": "vpc-0b1b2c3d4e5f60718",
                                   "ApproverPrincipalArn": f"arn:aws:iam::{OTHER}:role/quilt-approver"}},
        },
    }
    (folder / "acme.yaml").write_text(yaml.safe_dump(document))


def _values(path) -> dict[str, str]:
    return {p["ParameterKey"]: p["ParameterValue"] for p in json.loads(path.read_text())}


def _headless(tmp_path, capsys) -> dict[str, str]:
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"version": 1, "mode": "acme", "answers": ANSWERS}))
    out = tmp_path / "headless.json"
    sets = [arg for k, v in SETTINGS.items() for arg in ("--set", f"{k}={v}")]
    assert main(["--answers", str(answers), "--account-id", ACCOUNT, "--out", str(out), *sets]) == 0, \
        capsys.readouterr().err
    return _values(out)


def _plain(tmp_path) -> dict[str, str]:
    asker = ScriptedAsker({"S3 buckets": ANSWERS["bucket_scope"], "reachable from the internet": "internal",
                           "Review the": False})
    options = args(tmp_path, profile="acme", account_id=ACCOUNT, out=str(tmp_path / "plain.json"),
                   set_values=[f"{k}={v}" for k, v in SETTINGS.items()])
    assert run_prompts(options, asker, io.StringIO()) == 0
    return _values(tmp_path / "plain.json")


async def _wizard(tmp_path) -> dict[str, str]:
    out = tmp_path / "wizard.json"
    app = build_app(out=out, profile="acme", account_id=ACCOUNT, settings=SETTINGS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "bucket_scope")
        app.screen.query_one("#answer").value = ANSWERS["bucket_scope"]
        await settle(pilot)
        await advance_to(pilot, "lb_scheme")
        choices = app.screen.query_one("#choices", ChoiceList)
        choices.highlighted = [item.value for item in choices.items].index("internal")
        await settle(pilot)
        await advance_to(pilot, "write")
        await press(pilot, "enter")
        assert app.screen.written
    return _values(out)


async def test_wizard_prompts_and_headless_write_the_same_file(isolated_home, tmp_path, capsys):
    _profile(isolated_home)
    headless = _headless(tmp_path, capsys)
    plain = _plain(tmp_path)
    wizard = await _wizard(tmp_path)
    # The account's overrides reach every face, the typed questions included.
    assert headless["CertificateArnELB"] == CERTIFICATE and headless["KMSKeyId"] == KMS_KEY
    assert headless["VPC"] == "vpc-0a1b2c3d4e5f60718"
    assert headless["CustomerBucketPrefix"] == "acme-quilt-" and headless["LoadBalancerScheme"] == "internal"
    assert plain == headless
    assert wizard == headless
