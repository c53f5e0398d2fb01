"""No NoEcho value, nor anything made from one, leaves the process except in the parameter file.

A random secret goes into every NoEcho parameter of the test templates; every command that
shows or writes something (render, grants, diff, report, the headless run, text and JSON, and
the errors a bad value causes) runs in-process, and neither the secret nor any part of it of
four characters or more appears in what it printed or wrote, the parameter file excepted. A
part that the same command prints for another secret too (a digit run of the account id, say)
is the template's text, not a leak: each run is compared with a run of a control secret.
Secrets shorter than four characters are drawn from letters the outputs never contain, so
that any trace of them is seen.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DATA, REAL_REQUIRED
from wizard.cli import main

TEMPLATE = str(DATA / "templates" / "noecho-derived.yaml")
GOOD = str(DATA / "answers" / "good-standard.yaml")
RARE = "ЖЩЮξψ"  # letters no output of these templates contains
SECRETS = settings(max_examples=30, derandomize=True, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

secret_text = st.text(alphabet="abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.:@+!%",
                      min_size=8, max_size=24)


def run(*argv: str) -> str:
    """stdout and stderr of one in-process run (exit status appended)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = exc.code
    return f"{out.getvalue()}\n{err.getvalue()}\nexit {code}\n"


def written(folder: Path, skip: set[Path]) -> str:
    """Every file under ``folder`` except ``skip``, as one text."""
    texts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path not in skip and not path.name.endswith(".bak"):
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


def forms(text: str) -> set[str]:
    """``text`` as it may appear: itself, JSON-escaped, HTML-escaped."""
    return {text, json.dumps(text)[1:-1], html.escape(text), json.dumps(text, ensure_ascii=False)[1:-1]}


class Control(str):
    """What the commands print for a control secret (shown short in failure reports)."""

    def __repr__(self) -> str:
        return f"<control output, {len(self)} characters>"


def leaks(secret: str, output: str, control: str) -> list[str]:
    """Parts of ``secret`` (4+ characters) in ``output`` that the control run does not print.

    A longer part contains a part of four characters, so checking the secret itself and every
    four-character window covers every part of 4+ characters.
    """
    if len(secret) < 4:
        return [c for c in secret if any(f in output for f in forms(c))]
    parts = {secret} | {secret[i:i + 4] for i in range(len(secret) - 3)}
    return sorted(part for part in parts if any(f in output and f not in control for f in forms(part)))


def outputs_of_derived_template(folder: Path, values: dict[str, str]) -> str:
    sets = [a for name, value in values.items() for a in ("--set", f"{name}={value}")]
    texts = [
        run("render", "-t", TEMPLATE, *sets),
        run("render", "-t", TEMPLATE, "--json", *sets),
        run("grants", "-t", TEMPLATE, *sets),
        run("grants", "-t", TEMPLATE, "--json", *sets),
        run("diff", "-t", TEMPLATE, "--from", "Open=false", "--set", "Open=true", *sets),
        run("diff", "-t", TEMPLATE, "--json", "--from", "Open=false", "--set", "Open=true", *sets),
        run("diff", "-t", TEMPLATE, "--json", "--from", "Open=true", "--set", "Open=false", *sets),
        run("report", "-t", TEMPLATE, "--out", str(folder / "report"), *sets),
        run("report", "-t", TEMPLATE, "--json", "--out", str(folder / "report2"), *sets),
        # errors that quote a value
        run("render", "-t", TEMPLATE, *sets, "--set", f"Pin={values['Secret']}"),
        run("render", "-t", TEMPLATE, *sets, "--set", f"Pin=1{values['Pin']}000000000"),
    ]
    return "\n".join(texts) + written(folder, set())


def secrets_of(draw_secret: str, short: str, pin: int, element: str) -> dict[str, str]:
    return {"Secret": draw_secret, "Short": short, "SecretList": f"{element},{draw_secret}", "Pin": str(pin)}


@pytest.fixture(scope="module")
def control_derived(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("control")
    return Control(outputs_of_derived_template(folder, secrets_of("Ctl0-Value.x", "Щ", 31, "Elem0Ctl")))


@SECRETS
@given(secret=secret_text, short=st.text(alphabet=RARE, min_size=1, max_size=3),
       pin=st.integers(min_value=1000, max_value=99999999), element=secret_text)
def test_no_secret_of_the_derived_template_in_any_output(tmp_path_factory, control_derived, secret, short,
                                                         pin, element):
    folder = tmp_path_factory.mktemp("run")
    values = secrets_of(secret, short, pin, element)
    output = outputs_of_derived_template(folder, values)
    assert "Traceback" not in output
    for name, value in values.items():
        for part in value.split(",") if name == "SecretList" else [value]:
            assert not leaks(part, output, control_derived), (name, part)
    for derived in (base64.b64encode(secret.encode()).decode(), base64.b64encode(f"{secret}:{short}".encode()).decode()):
        assert derived[:-2] not in output
    for path in folder.rglob("*"):
        if path.is_file():
            assert os.stat(path).st_mode & 0o077 == 0, path  # reports are the owner's alone


def outputs_of_headless(folder: Path, template: list[str], password: str, extra: list[str]) -> str:
    out = folder / "params.json"
    texts = [
        run("--answers", GOOD, *template, "--out", str(out), "--set", f"AdminPassword={password}", *extra),
        run("--answers", GOOD, *template, "--out", str(folder / "p2.json"), "--json",
            "--set", f"AdminPassword={password}", *extra),
        run("--answers", GOOD, *template, "--out", str(folder / "p3.txt"), "--format", "overrides",
            "--set", f"AdminPassword={password} Open=true", *extra),
        run("report", "--answers", GOOD, *template, "--out", str(folder / "report"),
            "--set", f"AdminPassword={password}", *extra),
    ]
    params = {out, folder / "p2.json", folder / "p3.txt"}
    assert out.exists(), texts[0]
    return "\n".join(texts) + written(folder, params)


@pytest.fixture(scope="module")
def control_embedded(tmp_path_factory) -> str:
    return Control(outputs_of_headless(tmp_path_factory.mktemp("control"), [], "Ctl0-Value.x", []))


@SECRETS
@given(secret=secret_text)
def test_no_admin_password_in_the_headless_run_or_the_report(tmp_path_factory, control_embedded, secret):
    folder = tmp_path_factory.mktemp("run")
    output = outputs_of_headless(folder, [], secret, [])
    assert "Traceback" not in output
    assert not leaks(secret, output, control_embedded)
    assert secret in (folder / "params.json").read_text()  # the one place it belongs


def test_no_secret_of_the_real_template_in_any_output(tmp_path_factory, real_template_path):
    """Every NoEcho parameter of the vendor's template at once, one fixed secret each."""
    names = [n for n in ("AdminPassword", "DBUrl", "GoogleClientSecret", "OktaClientSecret",
                         "OneLoginClientSecret", "AzureClientSecret")]
    secrets = {name: f"Rl{i}-Zq{i}x.{name[:3]}Vv" for i, name in enumerate(names)}
    control = {name: f"Ct{i}-Kk{i}y.{name[:3]}Ww" for i, name in enumerate(names)}

    def outputs(values: dict[str, str], folder: Path) -> str:
        sets = [a for k, v in {**REAL_REQUIRED, **values}.items() for a in ("--set", f"{k}={v}")]
        return "\n".join([
            run("render", "-t", str(real_template_path), *sets),
            run("grants", "-t", str(real_template_path), "--json", *sets),
            run("diff", "-t", str(real_template_path), "--json", "--from", "AdminPassword=", *sets),
            run("report", "-t", str(real_template_path), "--out", str(folder / "report"), *sets),
        ]) + written(folder, set())

    baseline = outputs(control, tmp_path_factory.mktemp("control"))
    output = outputs(secrets, tmp_path_factory.mktemp("run"))
    assert "Traceback" not in output
    for name, value in secrets.items():
        assert not leaks(value, output, baseline), name


@pytest.mark.parametrize("argv, value", [
    (["render", "-t", TEMPLATE, "--set", "Pin=abc123xyz"], "abc123xyz"),
    (["render", "-t", TEMPLATE, "--set", "Pin=123456789"], "123456789"),
    (["render", "-t", TEMPLATE, "--set", "SecretList=Zzq1,,Zzq2", "--set", "Pin=x9x9"], "x9x9"),
])
def test_errors_never_repeat_a_noecho_value(argv, value):
    output = run(*argv)
    assert "exit 2" in output and value not in output


def test_a_mapping_lookup_keyed_by_a_secret_does_not_repeat_it(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text("""
Parameters:
  Key: {Type: String, NoEcho: true}
Mappings:
  M: {a: {b: c}}
Resources:
  T:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !FindInMap [M, !Ref Key, b]
      DisplayName: !Select [!Ref Key, [a, b]]
""")
    for value in ("Zx9-secret-key", "ab"):
        output = run("render", "-t", str(template), "--set", f"Key={value}")
        assert "exit 2" in output and f"'{value}'" not in output and f"/{value}/" not in output


def test_a_masked_part_shows_as_the_mask_in_the_report(tmp_path):
    run("report", "-t", TEMPLATE, "--out", str(tmp_path / "r"), "--set", "Secret=Abcdefgh-12", "--set", "Short=ab",
        "--set", "SecretList=a,b", "--set", "Pin=12")
    html_text = (tmp_path / "r" / "security-report.html").read_text()
    assert "Inline policy policy-****, line" in html_text  # the mask inside bold text stays visible
    assert "arn:aws:s3:::bucket-****/*" in html_text


SELECT_INDEX = str(DATA / "templates" / "noecho-select-index.yaml")
PICKS = ("alphazq", "bravozq", "charliezq")  # each element a NoEcho index may pick names its pick


@pytest.mark.parametrize("which", ["0", "1", "2"])
def test_an_element_picked_by_a_noecho_index_is_masked_everywhere(tmp_path, which):
    """The element tells the index: no output may show which one was picked."""
    answers = tmp_path / "answers.yaml"
    answers.write_text('version: 1\nstack: {name: quilt, region: us-east-1, account_id: "111122223333"}\n')
    sets = ["--set", f"Which={which}"]
    other = str((int(which) + 1) % 3)
    output = "\n".join([
        run("render", "-t", SELECT_INDEX, *sets),
        run("render", "-t", SELECT_INDEX, "--json", *sets, "--set", "Open=true"),
        run("grants", "-t", SELECT_INDEX, *sets, "--set", "Open=true"),
        run("grants", "-t", SELECT_INDEX, "--json", *sets),
        run("diff", "-t", SELECT_INDEX, "--from", "Open=false", "--from", f"Which={which}", "--set", "Open=true", *sets),
        run("diff", "-t", SELECT_INDEX, "--json", "--from", f"Which={other}", *sets),
        run("report", "-t", SELECT_INDEX, "--out", str(tmp_path / "report"), *sets, "--set", "Open=true"),
        run("--answers", str(answers), "-t", SELECT_INDEX, "--out", str(tmp_path / "p.json"), *sets,
            "--set", "Open=true"),
        run("--answers", str(answers), "-t", SELECT_INDEX, "--out", str(tmp_path / "p2.json"), "--json", *sets),
    ]) + written(tmp_path, {tmp_path / "p.json", tmp_path / "p2.json"})
    assert "Traceback" not in output and "Wrote " in output
    assert (tmp_path / "report" / "security-report.md").is_file()
    assert "arn:aws:s3:::****" in output  # the grant is there, masked
    assert not [pick for pick in PICKS if pick in output.lower()]


def test_a_noecho_index_outside_its_list_is_not_quoted():
    output = run("render", "-t", SELECT_INDEX, "--set", "Which=7345")
    assert "exit 2" in output and "outside a list of 3" in output and "7345" not in output


@pytest.mark.parametrize("value", ['Zq"Wx\\Vy-Kp', 'tab\there', 'quo"te', 'back\\slash', 'ünï\u2028code'])
def test_a_noecho_value_is_masked_where_it_appears_json_escaped(value):
    """A report quotes policies as JSON: a secret with a quote, a backslash or a control
    character appears there escaped, and is masked in that form too."""
    from wizard.cfn.parameters import MASK, mask_secrets

    document = json.dumps({"Statement": [{"Resource": "arn:aws:s3:::" + value + "/*"}]}, indent=2)
    assert json.dumps(value)[1:-1] in document  # the escaped form, not the value itself
    masked = mask_secrets({"text": document, "items": [document, value]}, [value])
    assert masked["text"] == masked["items"][0]
    assert json.loads(masked["text"])["Statement"][0]["Resource"] == f"arn:aws:s3:::{MASK}/*"
    assert masked["items"][1] == MASK
