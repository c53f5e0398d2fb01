"""The change-set screen's deployment side: the template bucket asked for before it is created,
the security column, and the stack followed after an execution (Escape stops only the watching).
Against moto's server, with the embedded template (over the inline limit) where the bucket matters."""

from __future__ import annotations

import asyncio
import threading

from textual.widgets import Input

from screens.app import build_app
from screens.aws.change_set import ChangeSetScreen
from screens.dialogs import ConfirmDialog
from tests.functional.helpers import EMBEDDED_REQUIRED, press, settle, write_parameter_file
from tests.moto import ACCOUNT, TOPIC_TEMPLATE
from wizard.aws.events import FollowResult

MANAGED = f"quilt-wizard-templates-{ACCOUNT}-us-east-1"


async def _open_change_set(pilot) -> ChangeSetScreen:
    await press(pilot, "c")
    screen = pilot.app.screen
    assert isinstance(screen, ChangeSetScreen)
    screen.query_one("#change-set-name", Input).value = "review"
    screen.query_one("#run").focus()
    await press(pilot, "enter")
    await settle(pilot)
    return screen


def _buckets(moto_session) -> list[str]:
    return [b["Name"] for b in moto_session.client("s3").list_buckets()["Buckets"]]


async def test_the_bucket_is_asked_for_and_not_created_on_no(tmp_path, endpoint, moto_session):
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED, endpoint_url=endpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        screen = await _open_change_set(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert MANAGED in app.screen.question and "TLS only" in app.screen.question
        await press(pilot, "escape")
        assert app.screen is screen and screen.result is None
        assert screen.status_text.startswith("Not created")
    assert _buckets(moto_session) == []
    assert not moto_session.client("cloudformation").list_stacks()["StackSummaries"]


async def test_yes_creates_the_bucket_with_its_protections(tmp_path, endpoint, moto_session):
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED, endpoint_url=endpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        await _open_change_set(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        app.screen.query_one("#yes").focus()
        await press(pilot, "enter")
        await settle(pilot)
    assert _buckets(moto_session) == [MANAGED]
    s3 = moto_session.client("s3")
    rule = s3.get_bucket_encryption(Bucket=MANAGED)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(s3.get_public_access_block(Bucket=MANAGED)["PublicAccessBlockConfiguration"].values())
    # (moto then refuses the upload: it enforces the TLS-only Deny without reading its condition,
    # and this endpoint is plain HTTP; the reuse of an existing bucket is tested below.)


async def test_an_existing_managed_bucket_is_used_without_asking(tmp_path, endpoint, moto_session):
    moto_session.client("s3").create_bucket(Bucket=MANAGED)
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED, endpoint_url=endpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        screen = await _open_change_set(pilot)
        assert app.screen is screen and screen.result is not None and screen.result.executable
        assert screen.result.template_url.startswith(f"https://{MANAGED}.s3")
        assert screen.result.capabilities == ("CAPABILITY_IAM",)
        assert screen.security.resources["LoadBalancer"].broadening


async def test_escape_while_following_stops_the_watching_only(tmp_path, endpoint, moto_session, monkeypatch):
    released = threading.Event()

    def waiting_follow(aws, stack, *, cancel, **_kwargs):
        released.set()
        cancel.wait(30)
        return FollowResult(stack, "CREATE_IN_PROGRESS", stopped=True)

    monkeypatch.setattr("wizard.aws.events.follow_stack", waiting_follow)
    template = tmp_path / "topic.yaml"
    template.write_text(TOPIC_TEMPLATE)
    app = build_app(template_path=template, out=tmp_path / "p.json", settings={"TopicName": "quilt-events"},
                    endpoint_url=endpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        screen = await _open_change_set(pilot)
        await press(pilot, "x")
        await pilot.press(*"quilt")
        await pilot.press("enter")
        assert await asyncio.to_thread(released.wait, 30)
        await pilot.pause()
        assert screen.running == "follow" and screen.check_action("cancel", ()) is True
        await pilot.press("escape")
        await pilot.pause()
        assert screen.status_text.startswith("Cancelled: stopped following; the deployment goes on")
        assert "quilt-wizard status --stack-name quilt --follow" in screen.status_text
        assert app.screen is screen
