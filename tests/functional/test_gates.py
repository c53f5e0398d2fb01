"""Gates write nothing and refuse before acting: --fail-on-broadening, a failed preflight,
usage errors before any AWS call, the target account named by the preflight."""

from __future__ import annotations

from screens.app import build_app
from screens.aws.change_set import OVERRIDE, ChangeSetScreen
from screens.dialogs import TypedConfirmDialog
from screens.aws.session import DeploySession
from tests.cli_run import run_cli
from tests.conftest import DATA
from tests.functional.helpers import press, settle, write_parameter_file
from tests.moto import TOPIC_TEMPLATE, free_port
from wizard.aws import CheckStatus, EndpointUnreachable, PreflightCheck, PreflightReport, render_preflight
from wizard.aws.checks import identity_check
from wizard.aws.session import CallerIdentity
from wizard.cli import main

GOOD = str(DATA / "answers" / "good-standard.yaml")


def test_fail_on_broadening_writes_nothing(tmp_path, capsys):
    out = tmp_path / "p.json"
    code = main(["--answers", GOOD, "--out", str(out), "--set", "InternalApiPort=8443", "--set",
                 "LoadBalancerScheme=internet-facing", "--set", "EnableEnhancedSecurity=false",
                 "--set", "PolicyCreationMode=ManualApproval",
                 "--set", "ApproverPrincipalArn=arn:aws:iam::111122223333:role/quilt-approver", "--fail-on-broadening"])
    assert code == 1, capsys.readouterr().err
    captured = capsys.readouterr()
    assert not out.exists() and not (tmp_path / "p.json.phase2").exists()
    assert "nothing was written" in captured.err and "Not written" in captured.out


def test_execute_without_yes_and_without_a_terminal_is_refused_before_any_aws_call(tmp_path):
    # The endpoint does not answer: a run that called AWS first would exit 3, not 2.
    result = run_cli("--answers", GOOD, "--out", str(tmp_path / "p.json"), "--create-change-set", "--execute",
                     "--template-bucket", "b", "--endpoint-url", f"http://127.0.0.1:{free_port()}", stdin="")
    assert result.code == 2, result.err
    assert "--execute needs --yes" in result.err
    assert not (tmp_path / "p.json").exists()


def _report(caller: str, target: str, ok: bool = True) -> PreflightReport:
    status = CheckStatus.PASS if ok else CheckStatus.FAIL
    return PreflightReport("quilt", "us-east-1", caller,
                           (PreflightCheck("certificate", status, "the certificate", "import it"),),
                           target_account=target)


def test_the_preflight_names_the_target_account_and_warns_when_the_caller_differs():
    text = render_preflight(_report("999999999999", "111122223333"))
    assert text.splitlines()[0].endswith("account 111122223333")
    assert "credentials are for account 999999999999, not 111122223333" in text
    assert "WARNING" not in render_preflight(_report("111122223333", "111122223333"))
    identity = CallerIdentity(account="999999999999", arn="arn:aws:iam::999999999999:user/ci", user_id="x")
    assert identity_check(identity, None, "111122223333").status is CheckStatus.WARN
    assert identity_check(identity, "111122223333").status is CheckStatus.FAIL


def _topic_app(tmp_path):
    template = tmp_path / "topic.yaml"
    template.write_text(TOPIC_TEMPLATE)
    return build_app(template_path=template, out=tmp_path / "p.json", settings={"TopicName": "quilt-events"})


async def test_the_change_set_step_refuses_after_a_failed_preflight_until_override_is_typed(tmp_path, monkeypatch):
    calls = []

    def unreachable(self, profile, endpoint, deadline=None):
        calls.append("aws")
        raise EndpointUnreachable("Cannot reach the AWS endpoint")

    monkeypatch.setattr(DeploySession, "aws_session", unreachable)
    app = _topic_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        app.session.adopt_preflight(_report("123456789012", "123456789012", ok=False))
        await press(pilot, "c")
        assert isinstance(app.screen, ChangeSetScreen)
        screen = app.screen
        screen.action_run()
        await settle(pilot)
        assert isinstance(app.screen, TypedConfirmDialog)
        assert "preflight failed (certificate)" in app.screen.question
        await press(pilot, "escape")  # no override: nothing created
        assert app.screen is screen and not screen.running and calls == []
        assert "Refused" in screen.status_text
        screen.action_run()
        await settle(pilot)
        await pilot.press(*OVERRIDE)
        await press(pilot, "enter")
        assert screen.overridden and calls == ["aws"]  # the call went ahead, as typed
