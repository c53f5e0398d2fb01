"""Small modal questions: a name, a mode or profile, a yes/no, a typed confirmation, the
template to resume a draft on. Each dismisses with its answer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from wizard.flow.draft import TemplateMismatch
from wizard.flow.profiles import list_profiles


class NameDialog(ModalScreen[str | None]):
    """Ask for a name; escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    """Escape closes without a name."""

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="dialog-input")
            yield Static("enter to confirm, escape to cancel", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ProfileDialog(ModalScreen[str | None]):
    """Pick a deployment mode or a saved profile."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    """Escape closes without a choice."""

    def __init__(self, title: str, current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.current = current

    def compose(self) -> ComposeResult:
        profiles = list_profiles()
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            options = OptionList(*(Option(f"{p.name}  —  {p.description}" if p.description else p.name, id=p.name)
                                   for p in profiles), id="dialog-options")
            names = [p.name for p in profiles]
            if self.current in names:
                options.highlighted = names.index(self.current)
            yield options
            yield Static("enter to choose, escape to cancel", classes="dialog-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; escape means no."""

    BINDINGS = [Binding("escape", "no", "No"), Binding("y", "yes", "Yes"), Binding("n", "no", "No")]
    """y or the Yes button confirm; n, escape or No decline."""

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-title", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="warning", id="yes")
                yield Button("No", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class TypedConfirmDialog(ModalScreen[bool]):
    """A confirmation the operator must type (the stack name): for what cannot be undone.

    A yes/no is one keystroke, too easy to give by habit; typing the name of what is about to
    change is the habit AWS's own consoles teach for destructive actions. Escape means no.
    """

    BINDINGS = [Binding("escape", "no", "Cancel")]
    """Escape (or Cancel) declines; only the typed name and enter (or the button) confirm."""

    def __init__(self, question: str, expected: str, yes: str = "Confirm") -> None:
        super().__init__()
        self.question = question
        self.expected = expected
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-title", markup=False)
            yield Label(f"Type {self.expected} to confirm", markup=False)
            yield Input(placeholder=self.expected, id="dialog-input")
            yield Static("", id="dialog-problem", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="error", id="yes", disabled=True)
                yield Button("Cancel", id="no")

    def _matches(self) -> bool:
        return self.query_one("#dialog-input", Input).value.strip() == self.expected

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one("#yes", Button).disabled = not self._matches()
        self.query_one("#dialog-problem", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._matches():
            self.dismiss(True)
        else:
            self.query_one("#dialog-problem", Static).update(
                f"That is not {self.expected}: type it exactly, or press escape to cancel.")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes" and self._matches())

    def action_no(self) -> None:
        self.dismiss(False)


class TemplateChoiceDialog(ModalScreen[str | None]):
    """A draft made on another template than this run's: resume on which one? Dismisses with
    ``"draft"`` (offered only when that template is still there, unchanged), ``"current"``, or
    None (escape or Cancel: nothing is resumed)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    """Escape closes without resuming."""

    def __init__(self, mismatch: TemplateMismatch) -> None:
        super().__init__()
        self.mismatch = mismatch

    def compose(self) -> ComposeResult:
        mismatch = self.mismatch
        with Vertical(classes="dialog"):
            yield Static("Resume on which template?", classes="dialog-title")
            yield Static(mismatch.describe(), id="template-mismatch", markup=False)
            yield Static("The two are never mixed: the run resumes on the template chosen, with the answers and "
                         "values that apply to it.", classes="dialog-hint", markup=False)
            with Vertical(classes="dialog-choices"):
                if mismatch.draft_available:
                    yield Button("Resume on the draft's template", variant="primary", id="draft")
                yield Button("Resume on this run's template", id="current")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#draft" if self.mismatch.draft_available else "#current", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None if event.button.id == "cancel" else event.button.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
