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


def test_an_atomic_write_goes_through_a_private_file_beside_and_leaves_nothing_when_it_fails(
        tmp_path, monkeypatch):
    from wizard import atomic

    path = tmp_path / "p.json"
    path.write_text("old")
    opened = []
    real_open = os.open

    def watched(name, flags, mode=0o777, *args, **kwargs):
        opened.append((name, flags, mode))
        return real_open(name, flags, mode, *args, **kwargs)

    monkeypatch.setattr(atomic.os, "open", watched)
    atomic.write_atomic(path, "new", mode=0o640)
    assert path.read_text() == "new" and os.stat(path).st_mode & 0o777 == 0o640
    (temp, flags, mode), = opened
    assert Path(temp).parent == tmp_path and Path(temp).name.startswith(".p.json.") and temp.endswith(".tmp")
    assert flags & os.O_EXCL and flags & os.O_CREAT and mode == 0o600  # a new file, private until renamed

    class Full(Exception):
        pass

    def failing(fd, mode="r", *args, **kwargs):
        os.close(fd)
        raise Full

    monkeypatch.setattr(atomic.os, "fdopen", failing)
    with pytest.raises(Full):
        atomic.write_atomic(path, "newer")
    assert path.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


def test_a_planted_file_at_a_temporary_name_is_never_written_through(tmp_path, monkeypatch):
    """A name already taken (a file, or a link planted there) is passed over for another."""
    from wizard import atomic

    names = iter(["aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(atomic.os, "urandom", lambda n: bytes.fromhex(next(names)))
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    (tmp_path / ".p.json.aaaaaaaaaaaa.tmp").symlink_to(victim)
    atomic.write_atomic(tmp_path / "p.json", "new")
    assert victim.read_text() == "untouched" and (tmp_path / "p.json").read_text() == "new"
    assert not (tmp_path / ".p.json.bbbbbbbbbbbb.tmp").exists()


def test_writing_a_file_imports_no_tempfile(tmp_path):
    """``tempfile`` brings ``random`` and ``shutil`` into every run that writes: not needed."""
    import subprocess
    import sys

    code = ("import sys\nfrom wizard.atomic import write_atomic\n"
            f"write_atomic({str(tmp_path / 'p.json')!r}, 'x')\nprint('tempfile' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
