"""Every IAM grant and network opening of the answers in force (command palette, escape closes).

The same listing as ``quilt-wizard grants``: grants grouped by principal with their access
levels and source lines, then the network rules; nothing abbreviated (every action, resource
and condition in full: this is where the panel's shortened lines can be read whole).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from wizard.errors import InputError
from wizard.flow.terminal import grants_text


class GrantsScreen(Screen):
    """A read-only listing of all grants."""

    BINDINGS = [Binding("escape", "close", "Close")]
    """Escape returns to the wizard."""

    def compose(self) -> ComposeResult:
        session = self.app.session  # type: ignore[attr-defined]
        try:
            analysis, unresolved = session.current_grants()
            text = grants_text(list(analysis.grants), list(analysis.rules), unresolved, full=True)
        except InputError as exc:
            text = f"Cannot evaluate the template with these answers: {exc}"
        with VerticalScroll(id="grants"):
            yield Static(Content.styled("All grants of the answers in force", "bold $text-accent"))
            yield Static(Content(text), id="grants-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#grants").focus()

    def action_close(self) -> None:
        self.dismiss()
