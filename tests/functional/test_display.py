"""What the screens show and what keys reach them: type-ahead, NoEcho, full grants, the write screen."""

from __future__ import annotations

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
