"""Parameter files read back the way AWS tools read them: a value is never two settings.

The ``overrides`` file is read as ``aws cloudformation deploy --parameter-overrides $(cat FILE)``
reads it: a real shell splits the output of ``$(cat FILE)`` into words (and expands globs, in an
empty folder here), then each word is split at its first ``=`` as the CLI does. Every value is
either written so that this gives back exactly the values given, or refused naming the
parameter. The JSON formats carry any text unchanged.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli_run import run_cli
from tests.conftest import DATA
from wizard.errors import InputError
from wizard.flow.paramfile import read_parameter_file, render_parameter_file

GOOD = str(DATA / "answers" / "good-standard.yaml")
BASH = shutil.which("bash")
FUZZ = settings(max_examples=150, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Values that tried to smuggle a second setting into the overrides file.
INJECTIONS = [
    "hunter22 AdminEmail=attacker@evil.example",
    "legit\nOpen=true",
    "legit\r\nOpen=true",
    "tab\tOpen=true",
    "'quoted value'",
    '"quoted value"',
    # quotes without any whitespace: word splitting keeps them, but xargs and a pasted command
    # read them as quoting
    "it's",
    'say"hi"',
    "`id`",
    "''",
    "back\\slash",
    "nbsp\u00a0Open=true",
    "line\u2028Open=true",
    "nul\x00",
]


def deploy_reads(path, folder) -> list[tuple[str, str]]:
    """The (key, value) pairs `deploy --parameter-overrides $(cat PATH)` passes on, in order."""
    script = 'for word in $(cat "$1"); do printf "%s\\0" "$word"; done'
    words = subprocess.run([BASH, "-c", script, "bash", str(path)], cwd=folder, capture_output=True,
                           check=True).stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")  # awscli: data.split("=", 1)
        assert sep, f"the CLI would refuse the word {word!r}"
        pairs.append((key, value))
    return pairs


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_unsafe_value_is_refused_naming_the_parameter(value):
    with pytest.raises(InputError) as caught:
        render_parameter_file({"AdminPassword": value, "Open": "false"}, "overrides")
    assert caught.value.where == "AdminPassword"
    assert value not in str(caught.value)


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@FUZZ
@given(values=st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,12}", fullmatch=True),
                              st.text(max_size=30), min_size=1, max_size=4))
def test_overrides_read_back_by_the_deploy_command_give_the_same_values(tmp_path_factory, values):
    folder = tmp_path_factory.mktemp("deploy")
    try:
        text = render_parameter_file(values, "overrides")
    except InputError as exc:
        assert exc.where in values
        return
    path = folder / "overrides.txt"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    pairs = deploy_reads(path, folder)
    assert [k for k, _ in pairs] == list(values)  # one setting per parameter, no more
    assert dict(pairs) == values
    assert read_parameter_file(path) == values  # --params reads what deploy deploys


@FUZZ
@given(values=st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=40), min_size=1, max_size=4))
@pytest.mark.parametrize("fmt", ["cfn", "codepipeline"])
def test_json_formats_carry_any_text(tmp_path_factory, fmt, values):
    text = render_parameter_file(values, fmt)
    body = json.loads(text)
    if fmt == "cfn":
        assert [(p["ParameterKey"], p["ParameterValue"]) for p in body] == list(values.items())
    else:
        assert body["Parameters"] == values
    path = tmp_path_factory.mktemp("json") / "params.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    if all(not any(0xD800 <= ord(c) <= 0xDFFF for c in k + v) for k, v in values.items()):
        assert read_parameter_file(path) == values


def test_the_headless_run_refuses_an_injected_setting_and_writes_nothing(tmp_path):
    out = tmp_path / "params.txt"
    result = run_cli("--answers", GOOD, "--out", str(out), "--format", "overrides",
                     "--set", "AdminPassword=hunter22 AdminEmail=attacker@evil.example")
    assert result.code == 2, result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert "AdminPassword" in result.err and "hunter22" not in result.err
    assert not out.exists()
    cfn = run_cli("--answers", GOOD, "--out", str(tmp_path / "params.json"),
                  "--set", "AdminPassword=hunter22 AdminEmail=attacker@evil.example")
    assert cfn.code == 0, cfn.err  # the JSON format carries the same value safely


def test_an_overrides_file_with_two_settings_on_a_line_reads_as_deploy_reads_it():
    values = read_parameter_file(DATA / "overrides" / "two-settings-on-a-line.txt")
    assert values == {"Qurator": "Disabled", "UseVPCEndpoints": "true"}
