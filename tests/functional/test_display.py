"""What the screens show and what keys reach them: type-ahead, NoEcho, full grants, the write screen."""

from __future__ import annotations

import re

from textual import events

from screens.app import build_app
from tests.functional.helpers import advance_to, settle
from tests.moto import TOPIC_TEMPLATE


def _topic_app(tmp_path, **options):
    """The wizard on a one-topic template: a short walk where the template does not matter."""
    template = tmp_path / "topic.yaml"
    template.write_text(TOPIC_TEMPLATE)
    return build_app(template_path=template, out=tmp_path / "p.json", settings={"TopicName": "quilt-events"},
                     **options)


async def test_keys_typed_ahead_do_not_skip_the_review(tmp_path):
    app = _topic_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "parameters")
        # Enter then ctrl+n, the second pressed before the review was shown (its event carries
        # the time it was typed; it reaches the app once the review is up).
        typed_ahead = events.Key("ctrl+n", None)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.step == "review"
        app.post_message(typed_ahead)
        await settle(pilot)
        assert app.screen.step == "review"
        await pilot.press("ctrl+n")  # a key pressed once the review is shown counts
        await settle(pilot)
        assert app.screen.step == "write"


async def test_a_failed_aws_call_leaves_no_stale_progress_line(tmp_path):
    from screens.aws.preflight import PreflightScreen
    from tests.functional.helpers import press, write_parameter_file
    from tests.moto import free_port

    app = _topic_app(tmp_path, endpoint_url=f"http://127.0.0.1:{free_port()}")
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        await press(pilot, "p")
        screen = app.screen
        assert isinstance(screen, PreflightScreen)
        await press(pilot, "enter")
        assert screen.status_text.startswith("Failed")
        assert not screen.query_one("#aws-progress").display


async def test_the_write_screen_keeps_the_typed_path_on_tab(tmp_path):
    from textual.widgets import Input

    from tests.functional.helpers import press

    app = _topic_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "write")
        path = app.screen.query_one("#path", Input)
        typed = str(tmp_path / "typed.json")
        path.value = ""
        await pilot.press(*typed)
        await press(pilot, "tab")
        assert path.value == typed
        await press(pilot, "left")  # on the button, left goes back to the review
        assert app.screen.step == "review"
        await press(pilot, "enter")
        assert app.screen.query_one("#path", Input).value == typed  # kept as typed
        await press(pilot, "tab", "enter")  # the Write button
        assert app.screen.written == [typed], app.screen.query_one("#write-result").render()


async def test_the_write_screen_warns_when_a_secret_lands_unignored_in_git(tmp_path):
    import subprocess

    from textual.widgets import Input

    from tests.functional.helpers import EMBEDDED_REQUIRED, text_of

    repo = tmp_path / "checkout"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    app = build_app(out=repo / "p.json", settings={**EMBEDDED_REQUIRED, "AdminPassword": "correct-horse-battery"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "write")
        warning = app.screen.query_one("#write-warning")
        assert "not ignored" in text_of(warning) and "AdminPassword" in text_of(warning)
        (repo / ".gitignore").write_text("ignored.json\n")
        app.screen.query_one("#path", Input).value = str(repo / "ignored.json")
        await settle(pilot)
        assert text_of(warning) == ""
        app.screen.query_one("#path", Input).value = str(tmp_path / "outside.json")
        await settle(pilot)
        assert text_of(warning) == ""


async def test_an_empty_secret_shows_empty_and_full_grants_abbreviate_nothing(tmp_path):
    from screens.review.grants import GrantsScreen
    from tests.functional.helpers import EMBEDDED_REQUIRED, text_of

    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "review")
        rows = dict((name, value) for name, value, _ in app.screen._parameters())
        assert rows["AdminPassword"] == "(empty)"
        app.action_show_grants()
        await settle(pilot)
        assert isinstance(app.screen, GrantsScreen)
        listing = text_of(app.screen.query_one("#grants-text"))
        assert "more)" not in listing and "iam:CreatePolicyVersion" in listing


def test_the_headless_summary_shows_an_empty_secret_as_empty(tmp_path, capsys):
    from tests.conftest import DATA
    from wizard.cli import main

    assert main(["--answers", str(DATA / "answers" / "good-standard.yaml"), "--out", str(tmp_path / "p.json")]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "AdminPassword" in line)
    assert line.split()[-1] == "(empty)"


async def test_the_review_names_questions_by_title_and_shows_each_phase_posture(tmp_path):
    from tests.functional.helpers import EMBEDDED_REQUIRED, text_of

    # restricted requires the bucket prefix
    app = build_app(out=tmp_path / "p.json", profile="restricted",
                    settings={**EMBEDDED_REQUIRED, "CustomerBucketPrefix": "acme-quilt-", "ApproverPrincipalArn": "arn:aws:iam::123456789012:role/quilt-approver"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "timeline")
        app.screen.query_one("#choices").highlighted = 1  # deploy now, harden after
        await settle(pilot)
        await advance_to(pilot, "review")
        answers = dict(app.screen._answers())
        title = "How should IAM policies be created when buckets are connected?"
        assert answers[title] == "Manual approval of each policy" and "policy_creation" not in answers
        posture = text_of(app.screen.query_one("#review-findings"))
        assert re.search(r"Findings of phase 1 \(deployed first\): \d+ \(\d+ critical", posture)
        assert "CRITICAL QW-ESC-002" in posture and "Findings of phase 2 (harden)" in posture
        assert "against the baseline" in app.screen.query_one("#review-phase1").plain
        assert "the total change" in app.screen.query_one("#review-diff").plain


async def test_a_framework_marks_the_answers_it_recommends(tmp_path):
    from tests.functional.helpers import EMBEDDED_REQUIRED, text_of

    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "frameworks")
        assert not app.screen.query("#question-recommended")
        app.session.answer(app.screen.question, ["hipaa"])
        app.go_next("frameworks")
        await settle(pilot)
        await advance_to(pilot, "cloudwatch")
        assert "Recommended for HIPAA: Yes, integrate with CloudWatch Logs" in \
            text_of(app.screen.query_one("#question-recommended"))


async def test_the_wizard_offers_to_save_the_answers_as_a_profile_at_the_end(tmp_path, isolated_home):
    from screens.dialogs import NameDialog
    from tests.functional.helpers import press, write_parameter_file
    from wizard.flow.profiles import load_profile

    app = _topic_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "write")
        assert "s" not in {b.binding.key for b in app.screen.active_bindings.values()}  # typed into the path
        await write_parameter_file(pilot)
        assert "s saves these answers as a profile" in str(app.screen.query_one("#write-result").render())
        await press(pilot, "s")
        assert isinstance(app.screen, NameDialog)
        await pilot.press(*"acme-topic")
        await press(pilot, "enter")
    assert load_profile("acme-topic").parameters == {"TopicName": "quilt-events"}
