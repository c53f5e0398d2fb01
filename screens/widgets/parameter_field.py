"""One template parameter in the generic form: label, description, input, and its problem.

The input is a ``Select`` when the template lists AllowedValues, a password ``Input`` when
the parameter is NoEcho, a plain ``Input`` otherwise. Every change is checked with the
template's own rules (``ParameterSpec.problem``) and the refusal shows under the field.
A required parameter (no Default) is marked with ``*``.
"""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Select, Static

from wizard.flow.catalog import GenericQuestion


class ParameterField(Vertical):
    """A form row for one GenericQuestion."""

    def __init__(self, question: GenericQuestion, value: str | None,
                 check: Callable[[str, str], str | None] | None = None, **kwargs) -> None:
        super().__init__(classes="parameter-field", **kwargs)
        self.question = question
        self.check = check
        """The core's further checks (name, value) -> problem: another region or account..."""
        self.initial = value
        self.touched = False

    @property
    def spec(self):
        return self.question.spec

    def compose(self) -> ComposeResult:
        spec = self.spec
        parts: list = [(spec.name, "bold")]
        if self.question.required:
            parts.append((" *", "bold $text-error"))
        parts.append((f"  {spec.type}", "$text-muted"))
        if self.question.group:
            parts.append((f"  ·  {self.question.group}", "$text-muted"))
        yield Static(Content.assemble(*parts), classes="parameter-label")
        if spec.description:
            yield Static(Content(spec.description), classes="parameter-help")
        if spec.allowed_values:
            options = [(v, v) for v in spec.allowed_values]
            value = self.initial if self.initial in spec.allowed_values else spec.default
            yield Select(options, value=value if value is not None else Select.NULL,
                         allow_blank=value is None, id=f"param-{spec.name}", compact=True)
        else:
            default = spec.default
            hint = "required" if self.question.required else f"default: {default!r}" if default else "optional"
            value = self.initial if self.initial is not None else (default or "")
            yield Input(value, placeholder=hint, password=spec.no_echo, id=f"param-{spec.name}",
                        compact=True)
        yield Static("", classes="parameter-problem")

    @property
    def control(self) -> Input | Select:
        return self.query_one(f"#param-{self.spec.name}")

    @property
    def value(self) -> str | None:
        """The value in the field; None when a Select has no choice yet."""
        control = self.control
        if isinstance(control, Select):
            return None if control.value is Select.NULL else str(control.value)
        return control.value

    @property
    def problem(self) -> str | None:
        value = self.value
        if value is None:
            return "choose a value"
        return self.spec.problem(value) or (self.check(self.spec.name, value) if self.check else None)

    def show_problem(self) -> str | None:
        problem = self.problem
        shown = self.query_one(".parameter-problem", Static)
        shown.update(Content.styled(problem, "$text-error") if problem else "")
        shown.display = bool(problem)
        self.set_class(bool(problem), "-invalid")
        return problem

    def on_input_changed(self, event: Input.Changed) -> None:
        self.touched = True
        self.show_problem()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.touched = True
        self.show_problem()
