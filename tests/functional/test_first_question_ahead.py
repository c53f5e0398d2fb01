"""The start screen's idle time: the run is opened and the first question's panel computed in a
worker, so Enter shows the panel at once; the analysis never blocks a frame, and a panel never
shows another choice's content while its own is computed."""

from __future__ import annotations

import threading

import pytest

import screens.questions.start as start_module
from screens.app import build_app
from screens.aws.session import DeploySession
from screens.questions.question import QuestionScreen, preview_title
from screens.questions.start import StartScreen
from screens.widgets.choice_list import ChoiceList
from screens.widgets.diff_panel import PENDING, DiffPanel, preview_lines
from tests.conftest import REAL_REQUIRED
from tests.functional.helpers import EMBEDDED_REQUIRED, settle
from wizard.flow.session import WizardSession

FIRST = "policy_creation"


def _plain(preview) -> str:
    return "\n".join(prefix.plain + body.plain for prefix, body in preview_lines(preview))


def _direct(template: str | None, settings: dict[str, str], candidate: str) -> str:
    """The first question's panel for ``candidate``, computed directly on a session of its own."""
    session = DeploySession.open(template, account_id=None, region=None, stack_name=None, profile="standard",
                                 settings=settings)
    question = session.question(FIRST)
    return _plain(session.preview(question, candidate, preview_title(question, candidate)))


def _no_panel_worker(monkeypatch) -> list:
    """Record the question screen's preview workers (none should run for a prepared panel)."""
    started: list = []
    original = QuestionScreen.compute_preview

    def recorded(self, *args):
        started.append(args[2])
        return original(self, *args)

    monkeypatch.setattr(QuestionScreen, "compute_preview", recorded)
    return started


async def _first_panel_after_idle(pilot) -> DiffPanel:
    app = pilot.app
    await pilot.pause()
    assert isinstance(app.screen, StartScreen)
    for _ in range(100):  # the idle time: the start screen's work is done
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.screen.is_prepared and not any(w.is_running for w in app.workers):
            break
    assert app.screen.is_prepared
    await pilot.press("enter")
    await pilot.pause()
    assert app.screen.step == FIRST
    return app.screen.query_one(DiffPanel)


@pytest.mark.parametrize("vendor", [False, True], ids=["embedded", "vendor"])
async def test_the_first_panel_prepared_ahead_is_the_one_a_direct_computation_gives(
        vendor, request, monkeypatch):
    template = str(request.getfixturevalue("real_template_path")) if vendor else None
    settings = REAL_REQUIRED if vendor else EMBEDDED_REQUIRED
    started = _no_panel_worker(monkeypatch)
    app = build_app(template_path=template, profile="standard", settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        panel = await _first_panel_after_idle(pilot)
        # Shown in the frame Enter made: prepared ahead, no worker of the question screen ran.
        assert started == [] and panel.pending is None
        in_force = app.session.current(app.screen.question)
        assert panel.plain == _direct(template, settings, in_force)
        # The other choices were computed ahead too: a highlight move shows them without a worker.
        choices = app.screen.query_one("#choices", ChoiceList)
        other = next(item.value for item in choices.items if item.value != in_force)
        choices.highlighted = [item.value for item in choices.items].index(other)
        await pilot.pause()
        assert started == [] and panel.plain == _direct(template, settings, other)


async def test_enter_before_the_run_is_opened_waits_without_blocking_the_screen(monkeypatch):
    gate = threading.Event()
    original = DeploySession.open.__func__

    def slow_open(cls, *args, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            assert gate.wait(30)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(DeploySession, "open", classmethod(slow_open))
    app = build_app(profile="standard", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        # The screen is drawn and answers while the template is read: it says what Enter waits for.
        assert isinstance(app.screen, StartScreen)
        assert "Reading the template" in str(app.screen.query_one("#start-error").render())
        gate.set()
        await settle(pilot)
        assert app.screen.step == FIRST
        assert app.screen.query_one(DiffPanel).plain == _direct(None, EMBEDDED_REQUIRED,
                                                                 app.session.current(app.screen.question))


async def test_a_highlight_while_its_analysis_runs_never_shows_another_choices_panel(monkeypatch):
    # Nothing computed ahead but the answer in force: "manual" is computed when highlighted, and held.
    monkeypatch.setattr(start_module, "prepare_first_question", lambda session, cancelled=None: None)
    monkeypatch.setattr(QuestionScreen, "prefetch", lambda self, *args: None)
    gate, computing = threading.Event(), threading.Event()
    original = WizardSession._compute_preview

    def held(self, question, candidate, title):
        if candidate == "manual":
            computing.set()
            assert gate.wait(30)
        return original(self, question, candidate, title)

    monkeypatch.setattr(WizardSession, "_compute_preview", held)
    app = build_app(profile="standard", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert screen.step == FIRST
        panel = screen.query_one(DiffPanel)
        automatic = panel.plain
        assert automatic.startswith("If you choose “Automatic")
        choices = screen.query_one("#choices", ChoiceList)
        values = [item.value for item in choices.items]
        choices.highlighted = values.index("manual")
        await pilot.pause()
        assert computing.wait(30)
        # The analysis of "manual" runs: its title and that it is computing, none of "automatic"'s lines.
        manual_title = preview_title(screen.question, "manual")
        assert panel.pending == manual_title
        assert panel.plain == f"{manual_title}\n{PENDING}"
        # Back to "automatic" (known) while "manual" still runs: its panel, at once.
        choices.highlighted = values.index("automatic")
        await pilot.pause()
        assert panel.plain == automatic and panel.pending is None
        gate.set()
        await settle(pilot)
        # The late result of "manual" does not replace the panel of the highlighted choice.
        assert panel.plain == automatic
        choices.highlighted = values.index("manual")
        await pilot.pause()
        assert panel.plain == _direct(None, EMBEDDED_REQUIRED, "manual")


async def test_the_idle_time_works_garbage_is_collected_in_its_worker_once_the_panels_are_computed(monkeypatch):
    """Not by a full collection that the operator's next key would set off on the UI thread; what
    stays is set aside until the run ends."""
    import gc

    from wizard.gcpause import collections_at_rest

    assert gc.get_freeze_count() == 0
    events: list[tuple[str, bool]] = []
    computing = start_module.prepare_first_question

    def recorded(session, cancelled=lambda: False):
        computing(session, cancelled)
        events.append(("panels computed", threading.current_thread() is threading.main_thread()))

    def collecting(phase, info):
        if phase == "start" and info["generation"] == 2:
            events.append(("full collection", threading.current_thread() is threading.main_thread()))

    monkeypatch.setattr(start_module, "prepare_first_question", recorded)
    app = build_app(profile="standard", settings=EMBEDDED_REQUIRED)
    gc.callbacks.append(collecting)
    try:
        with collections_at_rest():  # as ``run_app`` runs the wizard
            async with app.run_test(size=(100, 30)) as pilot:
                await _first_panel_after_idle(pilot)
                set_aside = gc.get_freeze_count()
    finally:
        gc.callbacks.remove(collecting)
    after = events[events.index(("panels computed", False)):]
    assert ("full collection", False) in after
    assert set_aside > 0  # the template, its analyses and the screens: out of later collections' way
    assert gc.get_freeze_count() == 0  # and given back when the run ends


async def test_highlight_moves_set_off_no_full_collection_and_repaint_neither_the_screen_nor_its_frame(
        monkeypatch):
    """Moving the highlight over choices computed ahead: the question screen's prefetch collected
    its garbage where nobody waits (in its worker), no full collection starts in a move's frame
    (on the vendor's template one walks every object for tens of milliseconds), and a move
    repaints the list and the panel only, not the whole screen (its question, header and footer)."""
    import gc

    from textual.widgets import Footer

    from screens.widgets.step_header import StepHeader
    from wizard.gcpause import collections_at_rest

    full: list[bool] = []

    def collecting(phase, info):
        if phase == "start" and info["generation"] == 2:
            full.append(threading.current_thread() is threading.main_thread())

    app = build_app(profile="standard", settings=EMBEDDED_REQUIRED)
    with collections_at_rest():
        async with app.run_test(size=(100, 30)) as pilot:
            await _first_panel_after_idle(pilot)
            for _ in range(100):  # the question screen's prefetch of every choice, and its rest
                await app.workers.wait_for_complete()
                await pilot.pause()
                if not any(w.is_running for w in app.workers):
                    break
            screen = app.screen
            repainted: list[str] = []
            for widget in (screen, screen.query_one(StepHeader), screen.query_one(Footer),
                           screen.query_one("#question-help")):
                original = widget.refresh
                monkeypatch.setattr(widget, "refresh", lambda *a, _w=widget, _o=original, **k:
                                    repainted.append(type(_w).__name__) or _o(*a, **k))
            panel = screen.query_one(DiffPanel)
            gc.callbacks.append(collecting)
            try:
                for key in ("down", "up") * 5:
                    before = panel.plain
                    await pilot.press(key)
                    await pilot.pause()
                    assert panel.plain != before and panel.pending is None  # the other choice's panel
            finally:
                gc.callbacks.remove(collecting)
            assert repainted == []
    assert full == []
