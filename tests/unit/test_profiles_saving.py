"""Saving a profile over one of the same name merges its accounts, never loses one, and needs
--force to replace its answers; a name is checked whole."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from tests.conftest import DATA
from wizard.cli import main
from wizard.flow.profiles import Profile, ProfileError, load_profile, save_profile

GOOD = str(DATA / "answers" / "good-standard.yaml")


def test_saving_for_another_account_keeps_the_first(capsys):
    assert main(["profiles", "save", "acme", "--answers", GOOD, "--account-id", "111122223333"]) == 0
    assert main(["profiles", "save", "acme", "--answers", GOOD, "--account-id", "444455556666"]) == 0
    assert sorted(load_profile("acme").accounts) == ["111122223333", "444455556666"]


def test_other_answers_need_force_and_keep_the_accounts(capsys):
    save_profile(Profile(name="acme", answers={"timeline": "before"}, accounts={"111122223333": {"parameters": {"VPC": "vpc-1"}}}))
    with pytest.raises(ProfileError, match="use --force"):
        save_profile(Profile(name="acme", answers={"timeline": "after"}))
    assert load_profile("acme").answers == {"timeline": "before"}
    save_profile(Profile(name="acme", answers={"timeline": "after"}, accounts={"444455556666": {}}), force=True)
    saved = load_profile("acme")
    assert saved.answers == {"timeline": "after"} and sorted(saved.accounts) == ["111122223333", "444455556666"]


def test_twenty_concurrent_saves_lose_no_account():
    accounts = [f"{100000000000 + n}" for n in range(20)]
    errors = []

    def save(account: str) -> None:
        try:
            save_profile(Profile(name="shared", answers={"timeline": "before"},
                                 accounts={account: {"parameters": {"VPC": f"vpc-{account}"}}}))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(a,)) for a in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(load_profile("shared").accounts) == accounts


def test_concurrent_saves_from_separate_processes_lose_no_account(tmp_path):
    accounts = [f"{200000000000 + n}" for n in range(6)]
    procs = [subprocess.Popen([sys.executable, "-m", "wizard", "profiles", "save", "shared", "--answers", GOOD,
                               "--account-id", account], env={**os.environ}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for account in accounts]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert sorted(load_profile("shared").accounts) == accounts


@pytest.mark.parametrize("name", ["acme\n", "acme\n\n", "Acme", "ac me", "a" * 64, ""])
def test_a_name_is_checked_whole(name, capsys):
    assert main(["profiles", "save", name, "--answers", GOOD]) == 2
    err = capsys.readouterr().err
    assert "not a profile name" in err and err.count("\n") == 1
