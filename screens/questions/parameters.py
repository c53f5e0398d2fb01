"""The template's remaining parameters, asked from its own declarations.

Every parameter no catalog question covers gets a ``ParameterField`` (``catalog.generic``:
required ones first, in the template's Interface order). Values are checked as they are typed;
Next refuses while a field has a problem and moves the focus to it. NoEcho values are typed
into password inputs and never reach the draft.
"""

from __future__ import annotations

from typing import Iterable

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Static

from wizard.flow.session import PARAMETERS
from screens.step import WizardStep
from screens.widgets.parameter_field import ParameterField


class ParametersScreen(WizardStep):
    """A form of the template parameters no question covers."""

    step = PARAMETERS
    section = "template parameters"

    def compose_body(self) -> Iterable[Widget]:
        session = self.session
        generic = session.generic()
        plan_values = session.plan().parameters
        required = sum(1 for g in generic if g.required)
        with VerticalScroll(id="parameters-form"):
            yield Static(Content.styled("The template's other parameters", "bold $text-accent"),
                         id="parameters-title")
            yield Static(Content(f"{len(generic)} parameters, {required} required (*). Values are checked "
                                 "against the template as you type; secrets (NoEcho) are hidden and never saved."),
                         id="parameters-help")
            for question in generic:
                name = question.spec.name
                value = session.parameters.get(name, plan_values.get(name))
                yield ParameterField(question, value, session.value_problem, id=f"field-{name}")
            if not generic:
                yield Static("Every parameter of this template is covered by a question.")

    def on_mount(self) -> None:
        fields = list(self.query(ParameterField))
        for field in fields:
            if field.touched or field.value:
                field.show_problem()
        first = next((f for f in fields if f.problem), fields[0] if fields else None)
        if first is not None:
            first.control.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    def confirm(self) -> bool:
        fields = list(self.query(ParameterField))
        bad = [f for f in fields if f.show_problem()]
        if bad:
            bad[0].control.focus()
            bad[0].scroll_visible()
            self.notify(f"{len(bad)} parameter(s) need a valid value: {', '.join(f.spec.name for f in bad[:4])}",
                        severity="error")
            return False
        values = {}
        in_force = self.session.plan().parameters
        for field in fields:
            value, spec = field.value, field.spec
            # A value a weaker layer (the profile, its account) sets is kept even when it equals
            # the template's default, so that the operator's choice wins over that layer.
            if value is not None and (field.question.required or value != spec.default or spec.name in in_force):
                values[spec.name] = value
        self.session.parameters = values
        return True
