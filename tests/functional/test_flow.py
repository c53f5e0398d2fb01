"""The whole wizard walked with the keyboard, from the start screen to the written parameter file."""

from __future__ import annotations

import importlib.util
import json

from textual.widgets import Input, Select

from screens.app import build_app
from screens.questions.parameters import ParametersScreen
from screens.questions.question import QuestionScreen
from screens.review.review import ReviewScreen
from screens.questions.start import StartScreen
from screens.widgets.diff_panel import DiffPanel
from screens.widgets.parameter_field import ParameterField
from screens.review.write import WriteScreen
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, press, screen_name, settle, text_of
from wizard.flow.draft import draft_path


def _parameters(path) -> dict[str, str]:
    return {item["ParameterKey"]: item["ParameterValue"] for item in json.loads(path.read_text())}


async def test_standard_mode_walked_with_enter_writes_the_parameter_file(tmp_path):
    out = tmp_path / "params.json"
    app = build_app(out=out, settings=EMBEDDED_REQUIRED)
    seen = []
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StartScreen)
        for _ in range(40):
            seen.append(getattr(app.screen, "step", ""))
            if isinstance(app.screen, WriteScreen) and app.screen.written:
                break
            await press(pilot, "enter")
        assert isinstance(app.screen, WriteScreen)
        result = app.screen.query_one("#write-result").render()
        assert "Wrote" in str(result)
        await press(pilot, "enter")  # closes the wizard
    assert app.return_code == 0
    values = _parameters(out)
    assert values["PolicyCreationMode"] == "Automatic"
    assert values["EnableEnhancedSecurity"] == "false"
    assert values["AdminEmail"] == "admin@example.com"
    assert values["QuiltWebHost"] == "quilt.example.com"
    assert values["InternalApiPort"] == "444"
    assert seen[:3] == ["start", "policy_creation", "tighter_security"]
    assert "log_group" not in seen  # asked only when CloudWatch is chosen
    assert seen[-4:] == ["parameters", "review", "write", "write"]
    assert not draft_path().exists()  # the finished run leaves no draft


async def test_required_parameters_typed_into_the_generic_form(tmp_path):
    out = tmp_path / "params.json"
    app = build_app(out=out, profile="restricted", fmt="codepipeline", settings={"ApproverPrincipalArn": "arn:aws:iam::123456789012:role/quilt-approver"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "bucket_scope")
        await pilot.press(*"acme-quilt-")  # restricted requires the prefix
        await settle(pilot)
        await advance_to(pilot, "certificate")
        app.screen.query_one("#answer", Input).value = EMBEDDED_REQUIRED["CertificateArnELB"]
        await press(pilot, "enter")
        assert app.screen.step == "host"
        await pilot.press(*"quilt.acme.com")
        await press(pilot, "enter")
        assert isinstance(app.screen, ParametersScreen)
        # Next with required values missing stays here and says which.
        await press(pilot, "enter")
        assert isinstance(app.screen, ParametersScreen)
        field = app.screen.query_one("#field-AdminEmail", ParameterField)
        assert field.has_class("-invalid")
        await pilot.press(*"admin@acme.com")
        await settle(pilot)
        assert field.problem is None
        for name in ("RegistryImage", "SearchDomainArn", "CloudTrailBucket", "VPC", "Subnets", "PublicSubnets"):
            app.screen.query_one(f"#param-{name}", Input).value = EMBEDDED_REQUIRED[name]
        app.screen.query_one("#param-AdminPassword", Input).value = "correct-horse-battery"
        app.screen.query_one("#param-Qurator", Select).value = "Enabled"
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, ReviewScreen)
        review = app.screen
        shown = text_of(review.query_one("#review-parameters"))
        assert "correct-horse-battery" not in shown
        assert "****" in shown and "quilt.acme.com" in shown
        assert "grants" in review.query_one("#review-diff", DiffPanel).plain
        if importlib.util.find_spec("wizard.findings") is not None:
            assert "Findings:" in text_of(review.query_one("#review-findings"))
        await press(pilot, "enter")
        assert isinstance(app.screen, WriteScreen)
        assert app.screen.query_one("#format", Select).value == "codepipeline"
        await press(pilot, "enter")
        assert app.screen.written == [str(out)]
    body = json.loads(out.read_text())
    assert body["Parameters"]["PolicyCreationMode"] == "ManualApproval"
    assert body["Parameters"]["CustomerBucketPrefix"] == "acme-quilt-"
    assert body["Parameters"]["QuiltWebHost"] == "quilt.acme.com"
    assert body["Parameters"]["AdminPassword"] == "correct-horse-battery"
    assert body["Parameters"]["Qurator"] == "Enabled"


async def test_a_wildcard_bucket_prefix_is_refused_as_it_is_typed(tmp_path):
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "bucket_scope")
        await pilot.press(*"acme*")
        await settle(pilot)
        screen = app.screen
        assert "AllowedPattern" in str(screen.query_one("#answer-problem").render())
        assert "Refused" in screen.query_one(DiffPanel).plain
        await press(pilot, "enter")
        assert app.screen is screen  # not accepted
        assert "bucket_scope" not in app.session.answers
        await press(pilot, "backspace")
        assert screen.query_one("#answer-problem").render().plain == ""
        await press(pilot, "enter")
        assert app.screen.step == "athena_scope"
        assert app.session.answers["bucket_scope"] == "acme"


async def test_back_returns_to_the_previous_question_and_keeps_the_answer(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "3", "enter")  # policy_creation: pre-created
        assert app.screen.step == "tighter_security"
        await press(pilot, "escape")
        assert app.screen.step == "policy_creation"
        assert app.session.answers["policy_creation"] == "precreated"
        assert app.screen.query_one("#choices").highlighted_value == "precreated"
        await press(pilot, "ctrl+b")
        assert screen_name(app) == "StartScreen"
        await press(pilot, "ctrl+n")
        assert app.screen.step == "policy_creation"
        assert app.session.answers["policy_creation"] == "precreated"  # same mode: answers kept


async def test_choosing_cloudwatch_adds_the_log_group_question(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "cloudwatch")
        await press(pilot, "1", "enter")
        assert app.screen.step == "log_group"
        assert isinstance(app.screen, QuestionScreen)


async def test_a_bad_account_id_is_refused_on_the_start_screen(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.screen.query_one("#account-id", Input).value = "12345"
        await press(pilot, "enter")
        assert isinstance(app.screen, StartScreen)
        assert "12-digit" in str(app.screen.query_one("#start-error").render())


async def test_a_set_value_the_template_refuses_is_shown_on_the_start_screen(tmp_path):
    app = build_app(out=tmp_path / "p.json", settings={"NoSuchParameter": "1"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, StartScreen)
        assert "NoSuchParameter" in str(app.screen.query_one("#start-error").render())


async def test_a_value_given_with_set_is_the_typed_questions_answer_until_retyped(tmp_path):
    out = tmp_path / "params.json"
    app = build_app(out=out, settings={**EMBEDDED_REQUIRED, "KMSKeyId": "alias/quilt-trail"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "cloudtrail_kms")  # the mode answers it with no key
        screen = app.screen
        assert app.session.current(screen.question) == "alias/quilt-trail"
        assert screen.query_one("#answer", Input).value == "alias/quilt-trail"
        assert "Refused" not in screen.query_one(DiffPanel).plain
        screen.query_one("#answer", Input).value = "alias/typed-key"
        await settle(pilot)
        assert "alias/typed-key" in screen.query_one(DiffPanel).plain.splitlines()[0]
        await press(pilot, "enter")  # what the operator types wins
        await advance_to(pilot, "write")
        await press(pilot, "enter")
        assert app.screen.written == [str(out)]
    assert _parameters(out)["KMSKeyId"] == "alias/typed-key"


async def test_an_unwritable_path_is_one_line_and_the_wizard_goes_on(tmp_path):
    (tmp_path / "file.txt").write_text("not a folder")
    unwritable = tmp_path / "file.txt" / "params.json"
    app = build_app(out=unwritable, settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "write")
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, WriteScreen) and not screen.written and app.is_running
        result = str(screen.query_one("#write-result").render())
        assert result.startswith(f"Not written: {unwritable}: cannot write") and "\n" not in result
        assert screen.query_one("#write-form").display
        screen.query_one("#path", Input).value = str(tmp_path / "params.json")
        await press(pilot, "enter")
        assert screen.written == [str(tmp_path / "params.json")]
    assert _parameters(tmp_path / "params.json")["AdminEmail"] == "admin@example.com"
