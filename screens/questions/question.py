"""One catalog question, with the live panel of what the highlighted answer would change.

The same screen serves every question of the catalog: choices (``ChoiceList``), several
choices (tick boxes) and typed values (``Input``). The highlighted or typed answer is the
``candidate``, a reactive attribute; its watcher shows the session's preview of it at once when
one was computed before (the choices are prefetched after the first), or else asks the session,
in a worker thread, for the permission diff against the answers in force (the panel shows the
candidate's title and that it is computing, never the previous candidate's panel), and the
panel shows it (on the UI thread) before anything is confirmed. The workers lay out the panel's
lines too, so the UI thread only shows them. The run's first question is computed ahead, on the
start screen (``prepare_first_question``). Typed values update the panel after a short pause
(``DEBOUNCE_SECONDS``) and show the template's refusal (AllowedPattern and the rest) as they
are typed. A typed question whose parameter was given with ``--set`` starts from that value.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from textual import work
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import var
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from wizard.gcpause import collect_at_rest
from wizard.flow.session import PARAMETERS, REVIEW, WRITE, Preview, WizardSession
from screens.step import WizardStep
from screens.widgets.choice_list import ChoiceItem, ChoiceList
from screens.widgets.diff_panel import DiffPanel, laid_out, preview_lines
from wizard.flow.catalog import CHOICE, MULTI, Question


def preview_title(question: Question, candidate: Any) -> str:
    """The panel's title for a candidate answer (no widget needed: a worker computes it too)."""
    if question.kind == CHOICE:
        return f"If you choose “{label_of(question, candidate)}”"
    if question.kind == MULTI:
        return "With " + (", ".join(label_of(question, v) for v in candidate) or "none ticked")
    return f"With {question.parameter} = “{candidate}”" if candidate else "With an empty value"


def label_of(question: Question, value: str) -> str:
    choice = question.choice(value)
    return choice.label if choice is not None else value


def prepare_first_question(session: WizardSession, cancelled: Callable[[], bool] = lambda: False) -> None:
    """Compute what the run's first question shows (off the UI thread): the preview of the
    answer in force, then every other choice's, so its screen shows them in the frame that
    asks. The start screen runs this in its idle time."""
    steps = session.steps()
    if len(steps) < 2 or steps[1] in (PARAMETERS, REVIEW, WRITE):
        return
    question = session.question(steps[1])
    initial = session.current(question)
    if initial is None or question.kind == MULTI:
        return  # a question with no answer in force shows no panel; ticks are previewed as ticked
    if question.kind == CHOICE:
        candidates = [initial, *(c.value for c in question.choices if c.value != initial)]
    else:
        candidates = [QuestionScreen._text(initial)]
    for candidate in candidates:
        if cancelled():
            return
        preview_lines(session.preview(question, candidate, preview_title(question, candidate)))


class QuestionScreen(WizardStep):
    """A catalog question and its live permission panel."""

    DEBOUNCE_SECONDS = 0.15
    """How long typing must pause before the panel recomputes."""

    candidate: var[Any] = var(None, init=False, always_update=True)
    """The answer under the highlight (or typed), not yet confirmed. A ``var``: the screen draws
    nothing of it, its watcher updates the panel; a repainting reactive would redraw the whole
    screen (the question, every choice, the header and the footer) on each highlight move."""

    def __init__(self, question: Question) -> None:
        super().__init__()
        self.question = question
        self.step = question.id
        self.section = next((s.title for s in self.session.catalog.sections if s.id == question.section), "")
        self.initial = self.session.current(question)
        self._debounce: Timer | None = None
        self.previews_shown = 0

    @property
    def is_choice(self) -> bool:
        return self.question.kind in (CHOICE, MULTI)

    def compose_body(self) -> Iterable[Widget]:
        question = self.question
        with Horizontal(id="question-body"):
            with Vertical(id="question-side"):
                yield Static(Content.styled(question.title, "bold $text-accent"), id="question-title")
                with VerticalScroll(id="question-pane"):
                    yield from self._compose_answer()
            yield DiffPanel(id="panel")

    def _compose_answer(self) -> Iterable[Widget]:
        question = self.question
        yield Static(Content(question.help), id="question-help")
        recommended = self.session.recommendation(question)
        if recommended:
            yield Static(Content.styled(recommended, "bold $text-success"), id="question-recommended")
        if self.is_choice:
            yield ChoiceList([ChoiceItem(c.value, c.label, c.tradeoff) for c in question.choices],
                             current=self.initial, multiple=question.kind == MULTI, id="choices")
        else:
            yield Input("" if self.initial is None else self._text(self.initial),
                        placeholder=question.placeholder or question.parameter or "", id="answer")
            yield Static("", id="answer-problem")
        yield Static(Content.assemble(("Trade-off: ", "bold"), question.tradeoff), id="question-tradeoff")

    @staticmethod
    def _text(value: Any) -> str:
        return ",".join(value) if isinstance(value, (list, tuple)) else str(value)

    def on_mount(self) -> None:
        if self.is_choice:
            choices = self.query_one("#choices", ChoiceList)
            choices.focus()
            choices.follower = self._follow
            self.candidate = self._choice_candidate(choices)
        else:
            self.query_one("#answer", Input).focus()
            if self.initial is None:
                self.query_one(DiffPanel).show_message("Type a value to see what it changes.")
            else:
                self.candidate = self._text(self.initial)

    # -- the candidate ---------------------------------------------------------------------

    def _choice_candidate(self, choices: ChoiceList) -> Any:
        if not choices.multiple:
            return choices.highlighted_value
        highlighted = choices.highlighted_value
        extra = {highlighted} if highlighted else set()
        return [item.value for item in choices.items if item.value in choices.checked | extra]

    def _follow(self, choices: ChoiceList) -> None:
        """The highlight moved (called by the list at once, not through a message): the candidate
        follows, so a preview computed before is shown in the frame that moves the highlight."""
        if self.is_attached:
            self.candidate = self._choice_candidate(choices)

    def on_choice_list_changed(self, event: ChoiceList.Changed) -> None:
        self.candidate = event.choice_list.checked_values

    def on_input_changed(self, event: Input.Changed) -> None:
        problem = self.session.text_problem(self.question, event.value)
        self._show_problem(problem)
        if self._debounce is not None:
            self._debounce.stop()
        if self.DEBOUNCE_SECONDS <= 0:
            self.candidate = event.value
        else:
            self._debounce = self.set_timer(self.DEBOUNCE_SECONDS, lambda: setattr(self, "candidate", event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    def _show_problem(self, problem: str | None) -> None:
        if not self.is_choice:
            self.query_one("#answer-problem", Static).update(
                Content.styled(problem, "$text-error") if problem else "")

    def watch_candidate(self, candidate: Any) -> None:
        if candidate is None:
            return
        title = self.title_for(candidate)
        known = self.session.known_preview(self.question, candidate, title)
        if known is not None:
            # Seen before (or prefetched): shown in the same frame as the highlight that asked for it.
            self._show(known)
        else:
            # Never the panel of the candidate before: this one's title, computing, until it is done.
            panel = self.query_one(DiffPanel)
            panel.show_pending(title)
            self.compute_preview(self.session, self.question, candidate, title, panel.text_width)

    def title_for(self, candidate: Any) -> str:
        return preview_title(self.question, candidate)

    # The workers get the session and the question as arguments and only compute: no widget
    # (nor the app) is touched off the UI thread. A preview is shown by
    # ``on_worker_state_changed``, on the UI thread, while the screen is still in the app and
    # the candidate it was computed for is still the one highlighted.

    @work(thread=True, exclusive=True, group="preview")
    def compute_preview(self, session: WizardSession, question: Question, candidate: Any,
                        title: str, width: int = 0) -> tuple[Any, Preview]:
        """Diff the candidate against the answers in force, and lay out its lines at the panel's
        ``width``, off the UI thread."""
        preview = session.preview(question, candidate, title)
        laid_out(preview_lines(preview), width)
        return candidate, preview

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "preview" or event.state != WorkerState.SUCCESS or not self.is_attached:
            return
        candidate, preview = worker.result
        if candidate == self.candidate:
            self._show(preview)

    def _show(self, preview: Preview) -> None:
        self.query_one(DiffPanel).show_preview(preview)
        self.previews_shown += 1
        if self.previews_shown == 1 and self.question.kind == CHOICE:
            self.prefetch(self.session, self.question,
                          [(c.value, self.title_for(c.value)) for c in self.question.choices],
                          self.query_one(DiffPanel).text_width)

    @work(thread=True, exclusive=True, group="prefetch")
    def prefetch(self, session: WizardSession, question: Question, choices: list[tuple[str, str]],
                 width: int = 0) -> None:
        """Compute and lay out every choice's preview ahead, so that moving the highlight shows it at once."""
        worker = get_current_worker()
        for value, title in choices:
            if worker.is_cancelled:
                return
            laid_out(preview_lines(session.preview(question, value, title)), width)
        # The previews' garbage collected now, before the operator moves the highlight, rather
        # than in a full collection that a move's frame would set off (``wizard.gcpause``).
        collect_at_rest()

    # -- confirming ------------------------------------------------------------------------

    def confirm(self) -> bool:
        if self.is_choice:
            choices = self.query_one("#choices", ChoiceList)
            value: Any = choices.checked_values if choices.multiple else choices.highlighted_value
            if value is None:
                return False
        else:
            if self._debounce is not None:
                self._debounce.stop()
            value = self.query_one("#answer", Input).value.strip()
            problem = self.session.text_problem(self.question, value)
            if problem:
                self._show_problem(problem)
                self.query_one("#answer", Input).focus()
                return False
        self.session.answer(self.question, value)
        return True
