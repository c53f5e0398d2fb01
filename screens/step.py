"""What every wizard screen shares: the header, the footer, and Back / Next.

A step is one screen of the run (the start, a question, the parameters, the review, the
write). Keys pressed before a step was shown are not for it (type-ahead would skip the review):
the app drops them (``typed_before``). Next asks the screen to ``confirm`` (record its answer, or refuse with a message)
and then lets the app move on; Back never records anything.
"""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING, Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from screens.widgets.step_header import StepHeader

if TYPE_CHECKING:
    from screens.navigation import WizardNavigation
    from screens.aws.session import DeploySession


class OnTheWizard:
    """For a screen of the wizard: the app and the run in progress, typed."""

    @property
    def wizard(self) -> "WizardNavigation":
        return self.app  # type: ignore[return-value]

    @property
    def session(self) -> "DeploySession":
        assert self.wizard.session is not None
        return self.wizard.session


class WizardStep(OnTheWizard, Screen):
    """Base of the wizard's screens."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+b,left", "back", "Back", show=False),
        Binding("enter", "next", "Next", show=False),
        Binding("ctrl+n", "next", "Next", key_display="⏎/^n"),
    ]
    """Escape, ctrl+b or left go back; enter or ctrl+n confirm and go on."""

    step: str = ""
    section: str = ""
    shown_at: float | None = None
    """When the screen was last shown (monotonic); keys pressed before it are ignored (the app)."""

    def on_screen_resume(self) -> None:
        self.shown_at = monotonic()

    def compose(self) -> ComposeResult:
        yield StepHeader(self.wizard.position(self.step, self.section), self.wizard.target_line(),
                         id="step-header")
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> Iterable[Widget]:
        return ()

    def confirm(self) -> bool:
        """Record what this screen asked; False (after saying why) to stay."""
        return True

    def action_back(self) -> None:
        self.wizard.go_back(self.step)

    def action_next(self) -> None:
        if self.confirm():
            self.wizard.go_next(self.step)
