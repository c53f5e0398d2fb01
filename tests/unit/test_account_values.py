"""Values tied to one AWS account stay with that account: saving, using and asking for them."""

from __future__ import annotations

import io

import pytest
import yaml

from wizard.flow.session import WizardSession
from tests.unit.test_prompts import ScriptedAsker, args
from wizard.cli import main
from wizard.flow.accounts import arn_problem, split_for_account, tied_to_account
from wizard.cfn.pseudo import Pseudo
from wizard.flow.profiles import Profile, load_profile, save_profile
from wizard.flow.prompts import run_prompts

EXAMPLE = "examples/answers.yaml"
CERT = "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize("name,value,kind", [
    ("CertificateArnELB", CERT, ""), ("KMSKeyId", KEY, ""), ("KMSKeyId", "alias/quilt", ""),
    ("KMSKeyId", "1234abcd-12ab-34cd-56ef-1234567890ab", ""), ("VPC", "vpc-0a1b2c3d4e5f60718", ""),
    ("Subnets", "subnet-0a1b2c3d4e5f60718,subnet-0a1b2c3d4e5f60719", ""), ("Anything", "x", "AWS::EC2::VPC::Id"),
    ("RegistryImage", "111122223333.dkr.ecr.us-east-1.amazonaws.com/quilt:1", ""),
    ("CloudWatchLogGroupArn", "arn:aws:logs:us-east-1:111122223333:log-group:audit", ""),
])
def test_values_of_one_account_are_recognised(name, value, kind):
    assert tied_to_account(name, value, kind)


@pytest.mark.parametrize("name,value", [("AdminEmail", "a@acme.com"), ("CustomerBucketPrefix", "acme-"),
                                        ("CloudTrailBucket", "acme-trail"), ("KMSKeyId", ""),
                                        ("BucketArn", "arn:aws:s3:::acme-data")])
def test_shared_values_are_not(name, value):
    assert not tied_to_account(name, value)


def test_saving_with_an_account_keeps_its_certificate_and_key_out_of_the_shared_part(isolated_home):
    assert main(["profiles", "save", "acme", "--answers", EXAMPLE, "--account-id", "111122223333"]) == 0
    profile = load_profile("acme")
    assert "certificate" not in profile.answers and "cloudtrail_kms" not in profile.answers
    assert profile.accounts["111122223333"]["answers"]["certificate"] == CERT
    assert profile.accounts["111122223333"]["answers"]["cloudtrail_kms"] == KEY
    assert profile.answers["bucket_scope"] == "acme-quilt-"  # shared by every account


def test_saving_without_an_account_uses_the_answers_file_stack(isolated_home):
    assert main(["profiles", "save", "acme", "--answers", EXAMPLE]) == 0
    profile = load_profile("acme")
    assert "VPC" not in profile.parameters and "certificate" not in profile.answers
    assert profile.accounts["111122223333"]["parameters"]["VPC"] == "vpc-0a1b2c3d4e5f60718"
    assert profile.parameters["AdminEmail"] == "admin@acme.com"


def test_saving_tied_values_with_no_account_is_refused_naming_them(isolated_home, tmp_path, capsys):
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump({"version": 1, "answers": {"certificate": CERT},
                                       "parameters": {"VPC": "vpc-0a1b2c3d4e5f60718"}}))
    assert main(["profiles", "save", "acme", "--answers", str(answers)]) == 2
    err = capsys.readouterr().err
    assert "certificate" in err and "VPC" in err and "--account-id" in err
    assert not (isolated_home / "config" / "profiles" / "acme.yaml").exists()


def test_the_store_refuses_a_shared_account_value(isolated_home):
    with pytest.raises(Exception, match="CertificateArnELB"):
        save_profile(Profile(name="acme", parameters={"CertificateArnELB": CERT}))


def _saved_for_one_account(tmp_path) -> None:
    assert main(["profiles", "save", "acme", "--answers", EXAMPLE, "--account-id", "111122223333"]) == 0


def test_headless_for_an_account_without_its_values_fails_naming_them(isolated_home, tmp_path, capsys):
    _saved_for_one_account(tmp_path)
    answers = tmp_path / "a.yaml"
    answers.write_text("version: 1\nmode: acme\nstack: {account_id: '123456789012'}\n")
    out = tmp_path / "p.json"
    assert main(["--answers", str(answers), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "CertificateArnELB" in err and "KMSKeyId" in err and "VPC" in err and "123456789012" in err
    assert not out.exists()


def test_prompts_for_an_account_without_its_values_ask_for_them(isolated_home, tmp_path):
    _saved_for_one_account(tmp_path)
    cert = CERT.replace("111122223333", "123456789012")
    asker = ScriptedAsker({"Review the": False, "load balancer use": cert, "AdminEmail": "a@acme.com",
                           "Who approves": "arn:aws:iam::123456789012:role/quilt-approver",
                           "RegistryImage": "r/quilt:1", "SearchDomainArn": "arn:aws:es:us-east-1:123456789012:domain/quilt",
                           "CloudTrailBucket": "acme-trail", "VPC": "vpc-0c1b2c3d4e5f60718",
                           "Subnets": "subnet-00000c01", "PublicSubnets": "subnet-00000c02"})
    out = io.StringIO()
    assert run_prompts(args(tmp_path, profile="acme", account_id="123456789012"), asker, out) == 0
    assert "has no values for account 123456789012" in out.getvalue()
    assert any(m.startswith("VPC") for m in asker.asked)
    text = (tmp_path / "plain.json").read_text()
    assert "111122223333" not in text


def test_the_wizard_saves_account_values_under_the_account(isolated_home):
    session = WizardSession.open(None, account_id="123456789012", region=None, stack_name=None, profile="restricted")
    session.answer(session.question("certificate"), CERT.replace("111122223333", "123456789012"))
    session.parameters = {"VPC": "vpc-0a1b2c3d4e5f60718", "AdminEmail": "a@acme.com"}
    session.save_profile("acme")
    profile = load_profile("acme")
    assert "certificate" not in profile.answers and "VPC" not in profile.parameters
    assert profile.parameters["AdminEmail"] == "a@acme.com"
    assert profile.accounts["123456789012"]["parameters"]["VPC"] == "vpc-0a1b2c3d4e5f60718"
    assert profile.accounts["123456789012"]["answers"]["certificate"].startswith("arn:aws:acm")


def test_arns_of_another_region_or_account_are_refused():
    pseudo = Pseudo(region="us-east-1", account_id="111122223333")
    assert "us-west-2" in arn_problem(CERT.replace("us-east-1", "us-west-2"), pseudo)
    assert "123456789012" in arn_problem(KEY.replace("111122223333", "123456789012"), pseudo)
    assert arn_problem(CERT, pseudo) is None
    assert split_for_account({"certificate": CERT}, {}, None, {"certificate": "CertificateArnELB"}).account_answers


@pytest.mark.parametrize("extra,field", [
    (["--set", "CertificateArnELB=" + CERT.replace("us-east-1", "us-west-2")], "CertificateArnELB"),
    (["--set", "KMSKeyId=" + KEY.replace("111122223333", "444455556666")], "KMSKeyId"),
    (["--set", "CloudWatchLogGroupArn=arn:aws:logs:eu-west-1:111122223333:log-group:audit"], "CloudWatchLogGroupArn"),
    (["--profile", "enterprise", "--set", "KMSKeyId="], "KMSKeyId"),
])
def test_headless_refuses_before_writing_naming_the_field(tmp_path, capsys, extra, field):
    out = tmp_path / "p.json"
    assert main(["--answers", EXAMPLE, "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert field in err and err.count("\n") == 1
    assert not out.exists()


def test_the_prompts_refuse_a_certificate_of_another_region(tmp_path):
    from wizard.flow.prompts import PromptFlow

    flow = PromptFlow(args(tmp_path), ScriptedAsker({}), io.StringIO())
    check = flow._validator(flow.catalog.question("certificate"))
    assert "us-west-2" in check(CERT.replace("us-east-1", "us-west-2"))
    assert check(CERT) is True
    enterprise = PromptFlow(args(tmp_path, profile="enterprise"), ScriptedAsker({}), io.StringIO())
    assert "enterprise" in enterprise._validator(enterprise.catalog.question("cloudtrail_kms"))("")
