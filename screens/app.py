"""The Textual wizard: one app, built by one factory for the command line and the tests.

``build_app`` takes the command-line options (template, profile, target, output, baseline,
``--set`` values) and returns a ``QuiltWizardApp``; ``run_app`` runs it for ``quilt-wizard``
with no subcommand. The app owns the run in progress (a ``DeploySession``) and the order of
the screens: start, the customer's questions, the security options, the deployment details,
the remaining template parameters, the review, and writing the parameter file. The draft is
saved each time the operator moves on, so quitting loses nothing. After the file is written,
two optional AWS screens (preflight, change set) are a key away; they take the AWS profile,
endpoint and template bucket from the command line. From the review, a profile whose accounts:
section lists several accounts can be deployed to all of them through a stack set (the fleet
screen). The security report can be written from the review screen or the command palette at any
point of the run; the palette's Screenshot is saved where a folder exists (``screens.screenshot``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Iterable, Mapping

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from screens.commands import WizardCommands
from screens.navigation import WizardOptions
from screens.step import WizardStep
from screens.aws.session import DeploySession
from wizard.flow.session import PARAMETERS, REVIEW, START, WRITE
from wizard.flow.draft import Draft, discard_draft, save_draft
from wizard.errors import InputError, WizardError, write_failure
from wizard.gcpause import collections_at_rest
from wizard.paths import ASSETS

DARK, LIGHT = "textual-dark", "textual-light"
REPORT_FOLDER = "./quilt-security-report"
"""Where the security report goes unless the operator says otherwise."""


def typed_before(event: events.Key, screen: Screen) -> bool:
    """A key pressed before a wizard step was shown (its time, from the terminal, is earlier).

    A step that is not shown yet has no ``shown_at``: every key waits for it to be shown."""
    if not isinstance(screen, WizardStep):
        return False
    return screen.shown_at is None or event.time < screen.shown_at


class QuiltWizardApp(App[int]):
    """The quilt-wizard screens."""

    TITLE = "quilt-wizard"
    CSS_PATH = [ASSETS / "wizard.tcss"]
    COMMANDS = App.COMMANDS | {WizardCommands}
    BINDINGS = [
        Binding("ctrl+t", "toggle_theme", "Theme"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]
    """ctrl+t switches light and dark; ctrl+p (Textual's) opens the command palette."""

    def __init__(self, options: WizardOptions) -> None:
        super().__init__()
        self.options = options
        self.session: DeploySession | None = None
        self.current_step = START

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and typed_before(event, self.screen):
            return  # pressed before this screen was shown: meant for the one before
        await super().on_event(event)

    def on_mount(self) -> None:
        from screens.questions.start import StartScreen

        self.theme = DARK
        self.push_screen(StartScreen())

    # -- the order of the screens ---------------------------------------------------------

    def screen_for(self, step: str) -> Screen:
        from screens.questions.parameters import ParametersScreen
        from screens.questions.question import QuestionScreen
        from screens.review.review import ReviewScreen
        from screens.questions.start import StartScreen
        from screens.review.write import WriteScreen

        if step == START:
            return StartScreen()
        if step == PARAMETERS:
            return ParametersScreen()
        if step == REVIEW:
            return ReviewScreen()
        if step == WRITE:
            return WriteScreen()
        assert self.session is not None
        return QuestionScreen(self.session.question(step))

    def show(self, step: str) -> None:
        """Replace the current step's screen with ``step``'s, saving the draft first."""
        self.current_step = step
        if self.session is not None and step not in (START, WRITE):
            self.autosave(step)
        self.switch_screen(self.screen_for(step))

    def go_next(self, step: str) -> None:
        steps = self.steps()
        index = steps.index(step) if step in steps else 0
        if index + 1 < len(steps):
            self.show(steps[index + 1])

    def go_back(self, step: str) -> None:
        steps = self.steps()
        if step in steps and steps.index(step) > 0:
            self.show(steps[steps.index(step) - 1])

    def steps(self) -> list[str]:
        if self.session is None:
            return [START]
        try:
            return self.session.steps()
        except InputError as exc:
            self.notify(str(exc), severity="error")
            return [START, PARAMETERS, REVIEW, WRITE]

    def refresh_step(self) -> None:
        """Rebuild the current screen after the mode, profile or baseline changed."""
        steps = self.steps()
        self.show(self.current_step if self.current_step in steps else steps[min(1, len(steps) - 1)])

    def position(self, step: str, section: str) -> str:
        steps = self.steps()
        if self.session is None or step not in steps:
            return section
        return f"step {steps.index(step) + 1}/{len(steps)}" + (f" · {section}" if section else "")

    def target_line(self) -> str:
        if self.session is None:
            return ""
        pseudo = self.session.pseudo
        mode = self.session.profile or "no mode"
        return f"{mode} · {pseudo.account_id} · {pseudo.region} · {pseudo.stack_name}"

    # -- the run ------------------------------------------------------------------------------

    def adopt(self, session: DeploySession) -> None:
        """Make ``session`` the run in progress, saying what the operator must know first: the
        hardening overlay applied to the template, and account values the profile lacks."""
        self.session = session
        notice = session.hardening_notice()
        if notice:
            self.notify(notice, title="Hardening overlay", timeout=15)
        gaps = session.account_gaps()
        if gaps:
            self.notify(f"Profile {session.profile} has no values for account {session.pseudo.account_id}: "
                        f"{', '.join(gaps)}. Enter them on their screens and in the parameters form.",
                        severity="warning", timeout=10)

    def resume(self, draft: Draft, session: DeploySession) -> None:
        """Continue an unfinished run where it stopped, ``session`` being the draft's run as the
        start screen's worker opened it."""
        self.session = session
        steps = self.steps()
        self.show(draft.step if draft.step in steps and draft.step != START else steps[1])

    def autosave(self, step: str | None) -> None:
        assert self.session is not None
        try:
            save_draft(self.session.draft(step), self.session.secret_parameters)
        except (OSError, InputError) as exc:
            self.notify(f"could not save the draft: {exc}", severity="warning")

    def finished(self) -> None:
        """The parameter file is written: the draft has done its job."""
        discard_draft()

    # -- actions (also offered by the command palette) --------------------------------------

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands, its Screenshot saved where a folder exists (``screens.screenshot``)."""
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":
                yield SystemCommand("Screenshot", "Save an SVG of the screen (to Downloads, else the current folder)",
                                    self.action_screenshot)
            else:
                yield command

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save an SVG of the screen once the palette has closed (into ``path`` when given), and
        say where, or why it could not."""
        self.call_after_refresh(self._take_screenshot, filename, path)

    def _take_screenshot(self, filename: str | None, path: str | None) -> None:
        from screens.screenshot import save_screenshot

        severity, message = save_screenshot(self, filename, path)
        self.notify(message, title="Screenshot", severity=severity, markup=False)

    def action_show_grants(self) -> None:
        from screens.review.grants import GrantsScreen

        if self.session is not None:
            self.push_screen(GrantsScreen())

    def action_save_profile(self) -> None:
        from screens.dialogs import NameDialog

        if self.session is None:
            return

        def save(name: str | None) -> None:
            if not name:
                return
            assert self.session is not None
            try:
                path = self.session.save_profile(name)
            except (WizardError, OSError) as exc:
                self.notify(f"Profile not saved: {write_failure(exc)}", severity="error")
                return
            self.notify(f"Saved profile {name} to {path}")

        self.push_screen(NameDialog("Save the answers as a profile", "profile name, e.g. acme-prod"), save)

    def action_load_profile(self) -> None:
        from screens.dialogs import ProfileDialog

        if self.session is None:
            return

        def load(name: str | None) -> None:
            if not name or self.session is None:
                return
            self.session.profile = name
            self.session.answers.clear()
            self.notify(f"Loaded profile {name}: its answers are now in force")
            self.refresh_step()

        self.push_screen(ProfileDialog("Load a mode or saved profile", self.session.profile), load)

    def action_change_baseline(self) -> None:
        from screens.dialogs import ProfileDialog

        if self.session is None:
            return

        def change(name: str | None) -> None:
            if not name or self.session is None:
                return
            self.session.baseline = name
            self.notify(f"Comparing against {name}")
            self.refresh_step()

        self.push_screen(ProfileDialog("Compare against (baseline)", self.session.baseline_name), change)

    def action_write_report(self) -> None:
        """Ask for a folder, then write the security report there (in a worker)."""
        from screens.dialogs import NameDialog

        if self.session is None:
            return

        def write(folder: str | None) -> None:
            if folder:
                self.write_report(folder)

        self.push_screen(NameDialog("Write the security report (Markdown and HTML) into the folder",
                                    "folder", value=REPORT_FOLDER), write)

    def write_report(self, folder: str) -> None:
        """Write the security report of the answers in force into ``folder`` (in a worker)."""
        if self.session is not None:
            self.render_report(self.session, folder)

    @work(thread=True, exclusive=True, group="report")
    def render_report(self, session: DeploySession, folder: str) -> tuple[str, str]:
        """Render and write the report off the UI thread (the findings take a moment).

        The thread only writes files and returns (severity, message); the message is shown by
        ``on_worker_state_changed``, on the UI thread."""
        try:
            paths, findings = session.write_security_report(folder)
        except (WizardError, OSError) as exc:
            return "error", f"Security report not written: {write_failure(exc)}"
        return "information", f"Wrote {paths[0]} and {paths[1]} ({len(findings)} findings)"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "report" and event.state == WorkerState.SUCCESS:
            severity, message = event.worker.result
            if severity == "error":
                self.notify(message, severity="error")
            else:
                self.notify(message, title="Security report")


def build_app(template_path: str | None = None, profile: str | None = None, stack_name: str | None = None,
              region: str | None = None, account_id: str | None = None, out: str | None = None,
              fmt: str = "cfn", baseline: str | None = None, settings: Mapping[str, str] | None = None,
              force: bool = False, aws_profile: str | None = None, endpoint_url: str | None = None,
              template_bucket: str | None = None, aws_deadline: float | None = None,
              access_analyzer: bool = False) -> QuiltWizardApp:
    """The one way to make the app, for ``quilt-wizard`` and for the tests."""
    options = WizardOptions(template_path=str(template_path) if template_path else None, profile=profile,
                            stack_name=stack_name, region=region, account_id=account_id,
                            out=str(out) if out else None, fmt=fmt or "cfn", baseline=baseline,
                            settings=dict(settings or {}), force=force, aws_profile=aws_profile or None,
                            endpoint_url=endpoint_url or None, template_bucket=template_bucket or None,
                            aws_deadline=aws_deadline, access_analyzer=access_analyzer)
    return QuiltWizardApp(options)


def run_app(args: argparse.Namespace) -> int:
    """``quilt-wizard`` with no subcommand: check the options, then open the screens."""
    from wizard.flow.headless import pseudo_for
    from wizard.flow.paramfile import parse_assignments

    settings = parse_assignments(getattr(args, "set_values", None) or [])
    pseudo_for(None, args.stack_name, args.region, args.account_id)  # a bad account id fails here
    if args.template and not Path(args.template).is_file():
        raise InputError("no such file", file=args.template, where="--template")
    app = build_app(template_path=args.template, profile=args.profile, stack_name=args.stack_name,
                    region=args.region, account_id=args.account_id, out=args.out, fmt=args.format or "cfn",
                    baseline=args.baseline, settings=settings, force=getattr(args, "force", False),
                    aws_profile=args.aws_profile, endpoint_url=args.endpoint_url,
                    template_bucket=args.template_bucket, aws_deadline=args.aws_deadline,
                    access_analyzer=getattr(args, "access_analyzer", False))
    with collections_at_rest():  # full collections where nobody waits, never in a key's frame
        app.run()
    return app.return_code or 0
