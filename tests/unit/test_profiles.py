"""Profiles: built-in modes, saving once and applying in two accounts, secrets never stored."""

from __future__ import annotations

import json
import stat

import pytest
import yaml

from tests.conftest import DATA
from wizard.cli import main
from wizard.errors import InputError
from wizard.flow.profiles import BUILTIN_MODES, Profile, list_profiles, load_profile, save_profile


def test_builtin_modes_are_complete_sets_of_answers():
    from wizard.flow.catalog import load_catalog

    customer = {q.id for q in load_catalog().questions if q.section == "customer"}
    for name in BUILTIN_MODES:
        profile = load_profile(name)
        assert profile.builtin and customer <= set(profile.answers), name
    assert load_profile("enterprise").answers["lb_scheme"] == "internal"


def test_save_drops_secrets_and_writes_0600(isolated_home):
    path = save_profile(Profile(name="acme", extends="restricted", answers={"task_tls": "yes"},
                                parameters={"AdminPassword": "hunter2", "AdminEmail": "a@b.co",
                                            "AwsSecretAccessKey": "x"}),
                        secret_parameters=frozenset({"AdminPassword"}))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "hunter2" not in text and "AwsSecretAccessKey" not in text and "a@b.co" in text
    assert [p.name for p in list_profiles()][-1] == "acme"


def test_builtin_names_are_reserved_and_bad_names_refused():
    with pytest.raises(InputError, match="built-in mode"):
        save_profile(Profile(name="standard"))
    with pytest.raises(InputError, match="not a profile name"):
        save_profile(Profile(name="../evil"))
    with pytest.raises(InputError, match="no profile named"):
        save_profile(Profile(name="x", extends="nope"))


def test_extends_cycle_is_an_error(isolated_home):
    folder = isolated_home / "config" / "profiles"
    folder.mkdir(parents=True)
    (folder / "a.yaml").write_text("name: a\nextends: b\n")
    (folder / "b.yaml").write_text("name: b\nextends: a\n")
    with pytest.raises(InputError, match="circle"):
        load_profile("a").layers()


def test_a_malformed_profile_names_file_and_line(isolated_home):
    folder = isolated_home / "config" / "profiles"
    folder.mkdir(parents=True)
    (folder / "bad.yaml").write_text("name: bad\naccounts:\n  '12': {}\n")
    with pytest.raises(InputError) as caught:
        load_profile("bad")
    assert caught.value.file.endswith("bad.yaml") and "/accounts" in caught.value.where


def test_a_saved_profile_is_read_once_until_its_file_changes(isolated_home, monkeypatch):
    """A fleet asks for its profile several times per account: the file is read and validated
    once, and read again as soon as it is saved, edited or broken."""
    from wizard.flow import profiles

    reads = []
    real = profiles.read_document
    monkeypatch.setattr(profiles, "read_document", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    save_profile(Profile(name="acme", answers={"host": "one.example.com"}))
    first = load_profile("acme")
    assert load_profile("acme") is first and load_profile("acme").layers() and len(reads) == 1
    save_profile(Profile(name="acme", answers={"host": "two.example.com"}), force=True)
    assert load_profile("acme").answers["host"] == "two.example.com" and len(reads) == 2
    path = isolated_home / "config" / "profiles" / "acme.yaml"
    path.write_text(path.read_text().replace("two.example.com", "three.example.com"))  # edited in place
    assert load_profile("acme").answers["host"] == "three.example.com"
    path.write_text("name: acme\naccounts:\n  '12': {}\n")
    with pytest.raises(InputError):
        load_profile("acme")
    path.unlink()
    with pytest.raises(InputError, match="no profile named"):
        load_profile("acme")


ACCOUNT_A, ACCOUNT_B = "111111111111", "222222222222"


def test_a_profile_saved_once_gives_correct_files_in_two_accounts(isolated_home, tmp_path, capsys):
    folder = isolated_home / "config" / "profiles"
    folder.mkdir(parents=True)
    common = {"AdminEmail": "admin@acme.com", "RegistryImage": "r/quilt:1",
              "SearchDomainArn": "arn:aws:es:us-east-1:111111111111:domain/quilt", "CloudTrailBucket": "acme-trail"}
    cert = "arn:aws:acm:us-east-1:{}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    document = {
        "name": "acme", "extends": "restricted", "description": "ACME, all accounts",
        "answers": {"bucket_scope": "acme-data-", "host": "quilt.acme.com"},
        "parameters": common,
        "accounts": {
            ACCOUNT_A: {"answers": {"certificate": cert.format(ACCOUNT_A),
                                    "approvers": f"arn:aws:iam::{ACCOUNT_A}:role/quilt-approver"},
                        "parameters": {"VPC": "vpc-0000aaaa", "Subnets": "subnet-000000a1,subnet-000000a2", "PublicSubnets": "subnet-000000a3"}},
            ACCOUNT_B: {"answers": {"certificate": cert.format(ACCOUNT_B), "lb_scheme": "internal",
                                    "approvers": f"arn:aws:iam::{ACCOUNT_B}:role/quilt-approver"},
                        "parameters": {"VPC": "vpc-0000bbbb", "Subnets": "subnet-000000b1", "PublicSubnets": "subnet-000000b2"}},
        },
    }
    (folder / "acme.yaml").write_text(yaml.safe_dump(document))
    answers = tmp_path / "answers.yaml"
    answers.write_text("version: 1\nanswers: {task_tls: 'yes'}\n")
    files = {}
    for account in (ACCOUNT_A, ACCOUNT_B):
        out = tmp_path / f"{account}.json"
        assert main(["--answers", str(answers), "--profile", "acme", "--account-id", account,
                     "--out", str(out), "--json"]) == 0, capsys.readouterr().err
        files[account] = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads(out.read_text())}
    a, b = files[ACCOUNT_A], files[ACCOUNT_B]
    assert a["VPC"] == "vpc-0000aaaa" and b["VPC"] == "vpc-0000bbbb"
    assert a["CertificateArnELB"] == cert.format(ACCOUNT_A) and b["CertificateArnELB"] == cert.format(ACCOUNT_B)
    assert a["LoadBalancerScheme"] == "internet-facing" and b["LoadBalancerScheme"] == "internal"
    for values in (a, b):
        assert values["PolicyCreationMode"] == "ManualApproval"  # from restricted
        assert values["CustomerBucketPrefix"] == "acme-data-"     # from the profile
        assert values["EnableTaskTLS"] == "true"                  # from the answers file
        assert values["AdminEmail"] == "admin@acme.com"


def test_profiles_command_round_trip(capsys):
    answers = DATA / "answers" / "good-standard.yaml"
    assert main(["profiles", "save", "team", "--answers", str(answers), "--account-id", "111122223333",
                 "--description", "team default"]) == 0
    assert main(["profiles", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert {"name": "team", "builtin": False, "extends": "standard", "description": "team default",
            "accounts": ["111122223333"]} in listed
    assert main(["profiles", "show", "team", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["accounts"]["111122223333"]["parameters"]["VPC"] == "vpc-0123456789abcdef0"
    assert main(["profiles", "delete", "team"]) == 0
    assert main(["profiles", "show", "team"]) == 2
    assert "no profile named 'team'" in capsys.readouterr().err


@pytest.mark.parametrize("account", ["111122223333", "444455556666"])
def test_a_profile_saved_on_the_embedded_template_runs_on_the_vendors(account, real_template_path, tmp_path,
                                                                       capsys):
    """The profile keeps RegistryImage, a parameter of the embedded template only: on the vendor's
    template it is left out and named in one warning line, and its answers still apply."""
    assert main(["profiles", "save", "acme", "--answers", str(DATA / "answers" / "good-standard.yaml"),
                 "--account-id", "111122223333"]) == 0
    with open(load_profile("acme").source) as handle:
        saved = yaml.safe_load(handle)
    assert "RegistryImage" in saved["accounts"]["111122223333"]["parameters"]
    capsys.readouterr()
    out = tmp_path / "p.json"
    # Another account has none of the profile's values for 111122223333: it gives its own, and
    # RegistryImage, which the vendor's template lacks, is not asked of it.
    own = ["--set", f"CertificateArnELB=arn:aws:acm:us-east-1:{account}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"]
    assert main(["--answers", str(DATA / "overlay" / "answers-vendor.yaml"), "--profile", "acme",
                 "--account-id", account, "--template", str(real_template_path), "--out", str(out), "--json",
                 *own]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if "warning" in line]
    summary = json.loads(captured.out)
    assert summary["mode"] == "acme" and summary["answers"]["host"] == "quilt.acme.com"
    if account == "111122223333":
        assert len(warnings) == 1 and "left out: RegistryImage (from " in warnings[0]
        assert list(summary["left_out"].values()) == [["RegistryImage"]]
    else:
        assert warnings == [] and summary["left_out"] == {}
    values = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads(out.read_text())}
    assert "RegistryImage" not in values and values["VPC"] == "vpc-0a1b2c3d4e5f60718"
    # The text summary (the headless run's, the prompts' and the wizard's) says it in one line.
    assert main(["--answers", str(DATA / "overlay" / "answers-vendor.yaml"), "--profile", "acme",
                 "--account-id", account, "--template", str(real_template_path), "--out", str(out), "--force",
                 *own]) == 0
    summary = capsys.readouterr().out
    lines = [line for line in summary.splitlines() if "left out" in line]
    assert lines == (["Warning: not parameters of this template, left out: RegistryImage (from "
                      f"{load_profile('acme').source} (account 111122223333))"] if account == "111122223333" else [])


def test_an_answers_file_naming_a_parameter_the_template_lacks_is_still_refused(tmp_path, capsys):
    assert main(["--answers", str(DATA / "answers" / "bad-unknown-parameter.yaml"), "--out",
                 str(tmp_path / "p.json")]) == 2
    assert "has no parameter" in capsys.readouterr().err
