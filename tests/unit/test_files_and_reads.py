"""Files: only regular files are read or replaced, every read is capped, a link at PATH.bak is
never followed, and nothing is written when an output path is wrong."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import DATA
from wizard.atomic import read_text, write_output
from wizard.cli import main
from wizard.errors import InputError

GOOD = str(DATA / "answers" / "good-standard.yaml")
CASES = DATA / "robustness"


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_device_as_out_is_refused_and_nothing_is_copied(capsys):
    assert main(["--answers", GOOD, "--out", "/dev/full", "--force"]) == 2
    assert "not a regular file" in one_line(capsys)
    assert not os.path.exists("/dev/full.bak")


def test_a_link_at_the_backup_path_is_replaced_not_followed(tmp_path, capsys):
    out, victim = tmp_path / "params.json", tmp_path / "victim.txt"
    out.write_text("old parameters")
    victim.write_text("precious")
    (tmp_path / "params.json.bak").symlink_to(victim)
    assert main(["--answers", GOOD, "--out", str(out), "--force"]) == 0, capsys.readouterr().err
    assert victim.read_text() == "precious"
    backup = tmp_path / "params.json.bak"
    assert not backup.is_symlink() and backup.read_text() == "old parameters"


def test_a_link_as_the_output_is_not_replaced(tmp_path, capsys):
    target = tmp_path / "elsewhere.json"
    target.write_text("keep")
    (tmp_path / "params.json").symlink_to(target)
    assert main(["--answers", GOOD, "--out", str(tmp_path / "params.json"), "--force"]) == 2
    assert "not a regular file" in one_line(capsys)
    assert target.read_text() == "keep" and (tmp_path / "params.json").is_symlink()


def test_an_empty_out_is_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--answers", GOOD, "--out", ""]) == 2
    assert "--out" in one_line(capsys)
    assert list(tmp_path.iterdir()) == []
    assert main(["report", "--out", ""]) == 2
    one_line(capsys)


def test_a_missing_folder_is_an_error_not_created(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--answers", GOOD, "--out", "missing/dir/x.json"]) == 2
    assert "no folder" in one_line(capsys)
    assert not (tmp_path / "missing").exists()
    assert main(["report", "--out", "missing/dir"]) == 2
    one_line(capsys)
    assert not (tmp_path / "missing").exists()


def test_an_answers_file_naming_an_output_in_a_missing_folder(tmp_path, capsys):
    answers = tmp_path / "answers.yaml"
    answers.write_text((CASES / "answers-out-missing-folder.yaml").read_text())
    assert main(["--answers", str(answers)]) == 2
    assert "no folder" in one_line(capsys)
    assert not (tmp_path / "missing").exists()


def test_write_output_keeps_a_backup_and_refuses_without_force(tmp_path):
    path = tmp_path / "f.txt"
    write_output(path, "one")
    with pytest.raises(InputError, match="already exists"):
        write_output(path, "two")
    write_output(path, "two", force=True)
    assert path.read_text() == "two" and (tmp_path / "f.txt.bak").read_text() == "one"


@pytest.mark.parametrize("argv", [
    ["render", "--template", "/dev/zero"],
    ["render", "--params", "/dev/zero"],
    ["diff", "--from-params", "/dev/zero"],
    ["--answers", "/dev/zero"],
    ["--answers", str(CASES / "answers-baseline-device.yaml"), "--out", "{tmp}/p.json"],
])
def test_a_device_as_input_is_one_line(argv, tmp_path, capsys):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    assert "/dev/zero" in one_line(capsys)
    assert not (tmp_path / "p.json").exists()


@pytest.mark.parametrize("option", ["--template", "--answers", "--params"])
def test_a_fifo_as_input_is_refused_without_waiting(option, tmp_path, capsys):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    argv = ["render", option, str(fifo)] if option != "--answers" else ["--answers", str(fifo)]
    assert main(argv) == 2
    assert "not a regular file" in one_line(capsys)


def test_reads_are_capped(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("A=" + "x" * 2_000_000)
    with pytest.raises(InputError, match="expected at most"):
        read_text(big, 1_048_576)
    assert main(["render", "--params", str(big)]) == 2
