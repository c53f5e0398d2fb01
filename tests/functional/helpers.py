"""Helpers for the Textual wizard's functional tests: values for the embedded template's
required parameters, and a pilot that waits for the panel's workers instead of sleeping."""

from __future__ import annotations

#: Every embedded-template parameter with no Default (the two deployment questions included).
EMBEDDED_REQUIRED = {
    "AdminEmail": "admin@example.com",
    "RegistryImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/quilt/registry:1.0",
    "SearchDomainArn": "arn:aws:es:us-east-1:123456789012:domain/quilt",
    "CloudTrailBucket": "acme-cloudtrail-logs",
    "VPC": "vpc-0a1b2c3d4e5f60718",
    "Subnets": "subnet-0a1b2c3d4e5f60718,subnet-0a1b2c3d4e5f60719",
    "PublicSubnets": "subnet-0b1b2c3d4e5f60718,subnet-0b1b2c3d4e5f60719",
    "CertificateArnELB": "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "QuiltWebHost": "quilt.example.com",
}


async def settle(pilot) -> None:
    """Let the panel's worker finish and its result reach the screen."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def press(pilot, *keys: str) -> None:
    """Press keys one at a time, letting the app settle after each."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def screen_name(app) -> str:
    return type(app.screen).__name__


async def advance_to(pilot, step: str, limit: int = 40) -> None:
    """Press enter until the screen for ``step`` (a question id or a screen step) is shown."""
    for _ in range(limit):
        if getattr(pilot.app.screen, "step", None) == step:
            return
        await press(pilot, "enter")
    raise AssertionError(f"never reached {step}; stuck on {screen_name(pilot.app)} "
                         f"{getattr(pilot.app.screen, 'step', None)}")


def text_of(widget) -> str:
    """The text shown by a widget and every Static inside it."""
    from textual.widgets import Static

    parts = [str(widget.render())] if isinstance(widget, Static) else []
    parts += [str(child.render()) for child in widget.query(Static)]
    return "\n".join(parts)


async def write_parameter_file(pilot) -> None:
    """Walk to the write screen and write the parameter file (the AWS steps come after)."""
    await settle(pilot)
    await advance_to(pilot, "write")
    await press(pilot, "enter")
    assert pilot.app.screen.written, text_of(pilot.app.screen.query_one("#write-result"))
