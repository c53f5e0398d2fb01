"""Review before writing: the answers (each question by its title, the chosen answer's label
under it, wrapped at word boundaries at any width), every parameter (NoEcho masked, an empty one
shown as empty; its value beside its name, or under it below ``NARROW_BELOW`` columns), the
posture and the diff.

The deployment is planned by the core exactly as the headless run plans it
(``plan_deployment``); a value that is missing or refused is shown here and Next is refused.
The posture (the core's ``findings_for`` and ``phase_findings``: findings by severity, the
critical and high ones named, each phase of "harden after") appears when the findings rules are
installed, then what each answer stops of Quilt (its features, the core's ``answer_stops``, the
summary's list), then the total change against the baseline (and each phase's); ``r`` writes the security report. After a preflight found the
deployed stack, the diff is against its parameters. When the profile's ``accounts:`` section lists
several accounts, ``f`` (or the button at the top) opens the fleet screen (``screens.aws.fleet``).
"""

from __future__ import annotations

from typing import Iterable

from textual import work
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from wizard.flow.session import REVIEW
from screens.step import WizardStep
from screens.widgets.diff_panel import DiffPanel, posture_lines
from wizard.errors import InputError, WizardError
from wizard.cfn.parameters import MASK

NARROW_BELOW = 100
"""Terminals narrower than this show the parameters stacked, as the answers always are: beside
the longest name, an ARN would be cut mid-word."""

EMPTY = "(empty)"
"""How a NoEcho parameter with no value is shown (a mask would claim a secret is set)."""


def findings_count(deployment) -> Content | None:
    """The findings of what will be deployed, by severity, critical and high named, each phase
    ("harden after" deploys phase 1 first); None when the findings rules are not installed."""
    try:
        from wizard.flow.risk import name_of, posture_text, serious
    except ImportError:
        return None
    from wizard.flow.headless import findings_for, phase_findings

    try:
        phases = phase_findings(deployment, findings_for(deployment))
    except WizardError as exc:
        return Content(f"Findings: not available ({exc})")
    parts: list = []
    for label, found in phases:
        parts.append((f"Findings{label}: {posture_text(found)}\n", "bold"))
        for finding in serious(found):
            parts.append((f"  {finding.severity.upper()} {name_of(finding)}\n", "$text-error"))
    parts.append(("r writes the security report", "$text-muted"))
    return Content.assemble(*parts)


class ReviewScreen(WizardStep):
    """Everything that will be written, and what it changes against the baseline."""

    BINDINGS = [Binding("r", "app.write_report", "Security report"),
                Binding("f", "deploy_fleet", "Deploy to the fleet")]
    """r writes the security report of these answers (a folder is asked for); f opens the fleet
    screen, offered only when the profile lists several accounts."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]
    """Below ``NARROW_BELOW`` columns each parameter's value goes under its name (``.-narrow``)."""

    step = REVIEW
    section = "review"
    fleet: tuple[str, ...] = ()
    """The accounts of the profile's ``accounts:`` section (a fleet when there are several)."""

    def compose_body(self) -> Iterable[Widget]:
        session = self.session
        self.fleet = session.fleet_accounts()
        self.problem: str | None = None
        try:
            self.deployment = session.deployment()
        except InputError as exc:
            self.deployment = None
            self.problem = str(exc)
        with VerticalScroll(id="review"):
            yield Static(Content.styled("Review", "bold $text-accent"), id="review-title")
            if len(self.fleet) > 1:
                with Horizontal(id="review-fleet"):
                    yield Static(Content.assemble(
                        (f"Profile {session.profile} lists {len(self.fleet)} accounts", "bold"),
                        f" ({', '.join(self.fleet)}): deploy them all through one CloudFormation stack set, "
                        "each with its own values."))
                    yield Button("Deploy to the fleet", id="fleet-button")
            if self.deployment is None:
                yield Static(Content.assemble(("Cannot deploy yet: ", "bold $text-error"),
                                              (self.problem or "", "$text-error"),
                                              ("\nGo back (escape) and fix it.", "")), id="review-problem")
                return
            deployment = self.deployment
            pseudo = deployment.pseudo
            yield Static(Content.assemble(("Stack ", "bold"), pseudo.stack_name, " in ", pseudo.region,
                                          ", account ", pseudo.account_id,
                                          f", mode {deployment.mode}" if deployment.mode else ""),
                         id="review-stack")
            yield Static(Content.styled("Answers", "bold"), classes="review-heading")
            with Vertical(id="review-answers"):
                # Stacked, each answer under its question: a question title is a sentence, and a
                # column beside the longest one left the answers a few characters at 80 columns.
                for key, value in self._answers():
                    yield Static(Content.styled(key, "$text-muted"), classes="review-question")
                    yield Static(Content.styled(value, "bold"), classes="review-answer")
            yield Static(Content.styled(f"Parameters ({len(deployment.values.specs)})", "bold"),
                         classes="review-heading")
            with Grid(id="review-parameters", classes="review-table"):
                for name, value, note in self._parameters():
                    yield Static(Content.styled(name, "$text-muted"), classes="review-name")
                    yield Static(Content.assemble((value, "" if note else "bold"), (note, "$text-muted")),
                                 classes="review-value")
            yield Static(Content.styled("Posture: the findings of what will be deployed", "bold"),
                         classes="review-heading")
            yield Static(Content.styled("Counting the findings…", "$text-muted"), id="review-findings")
            yield Static(Content.styled("What stops working", "bold"), classes="review-heading")
            yield Static(Content.styled("Working out what each answer stops…", "$text-muted"), id="review-stops")
            yield DiffPanel("Permission diff", id="review-diff")
            if len(deployment.phases) > 1:
                yield DiffPanel("Phase 1", id="review-phase1")
                yield DiffPanel("Phase 2", id="review-phase2")

    def on_mount(self) -> None:
        if self.deployment is None:
            return
        deployment = self.deployment
        self._show_diffs({})
        self.query_one("#review").focus()
        self.count_findings(deployment)
        self.compare_risk(deployment)
        self.find_stops(deployment)

    @staticmethod
    def _diffs(deployment) -> list[tuple[str, str, object, dict, dict]]:
        """(panel, heading, diff, values before, values after): the total change against the
        baseline and, with "harden after", phase 1 against the baseline and phase 2 after it."""
        base = dict(deployment.baseline.raw)
        found = [("#review-diff", f"Against the baseline ({deployment.baseline_name}): the total change",
                  deployment.diff, base, dict(deployment.values.raw))]
        if len(deployment.phases) > 1:
            first, second = deployment.phases
            found += [("#review-phase1", f"What phase 1 (deployed first) changes against the baseline "
                                         f"({deployment.baseline_name})", first.diff, base, dict(first.values.raw)),
                      ("#review-phase2", "What phase 2 (harden) changes after phase 1", second.diff,
                       dict(first.values.raw), dict(second.values.raw))]
        return found

    def _show_diffs(self, risks: dict) -> None:
        """Each panel: its heading, the change in findings first (once counted), then the grants."""
        for panel, heading, diff, _, _ in self._diffs(self.deployment):
            risk = risks.get(panel)
            self.query_one(panel, DiffPanel).show_diff(diff, heading, lead=posture_lines(risk) if risk else ())

    @work(thread=True, exclusive=True, group="risk")
    def compare_risk(self, deployment) -> dict:
        """How the findings change in each panel, off the UI thread (as ``count_findings``);
        ``on_worker_state_changed`` puts it at the top of each panel."""
        from wizard.flow.risk import risk_between

        try:
            return {panel: risk_between(deployment.template, before, after, deployment.pseudo)
                    for panel, _, _, before, after in self._diffs(deployment)}
        except WizardError:
            return {}

    @work(thread=True, exclusive=True, group="findings")
    def count_findings(self, deployment) -> Content | None:
        """The findings count, off the UI thread (the rules take a moment on a large template).

        The thread only computes: no widget is touched there. The count is shown by
        ``on_worker_state_changed`` on the UI thread, and only while this screen is still in the
        app (a screen that was left has its workers cancelled and the result is ignored)."""
        return findings_count(deployment)

    @work(thread=True, exclusive=True, group="stops")
    def find_stops(self, deployment) -> Content | None:
        """Per answer, the Quilt features it stops (the core's ``answer_stops``, as the summary
        lists them), off the UI thread: finding each loss's cause analyses the template again."""
        from wizard.flow.stops import answer_stops

        try:
            rows = answer_stops(deployment)
        except WizardError:
            return None
        if not rows:
            return Content.styled("Nothing: every access the template grants still takes effect.", "$text-muted")
        parts: list = []
        for owner, causes, features in rows:
            parts.append((f"{owner} ({', '.join(causes) or 'several options together'})\n", "bold"))
            for feature, collateral in features:
                parts += [("  Stops: ", "$text-error"), (feature, "")]
                parts.append(("  collateral: no option asked for it\n", "bold $text-warning") if collateral else "\n")
        return Content.assemble(*parts)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state != WorkerState.SUCCESS or not self.is_attached or not worker.result:
            return
        if worker.group == "stops":
            self.query_one("#review-stops", Static).update(worker.result)
        elif worker.group == "findings":
            self.query_one("#review-findings", Static).update(worker.result)
        elif worker.group == "risk":
            self._show_diffs(worker.result)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "deploy_fleet":
            return len(self.fleet) > 1
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "fleet-button":
            event.stop()
            self.action_deploy_fleet()

    def action_deploy_fleet(self) -> None:
        """The fleet screen: the profile's accounts through a stack set (pushed: escape comes back)."""
        from screens.aws.fleet import FleetScreen

        if len(self.fleet) > 1:
            self.app.push_screen(FleetScreen())

    def _answers(self) -> list[tuple[str, str]]:
        """(question title, answer as its label) for every question answered."""
        plan = self.deployment.plan
        rows = []
        for question in plan.asked:
            if question.id not in plan.answers:
                continue
            value = plan.answers[question.id]
            if question.choices:
                values = value if isinstance(value, (list, tuple)) else [value]
                shown = ", ".join(question.choice(v).label if question.choice(v) else v for v in values) or "none"
            else:
                shown = str(value) or "(empty)"
            rows.append((question.title, shown))
        return rows

    def _parameters(self) -> list[tuple[str, str, str]]:
        """(name, value as shown, note) for every parameter; NoEcho values masked by the core."""
        values = self.deployment.values
        shown = values.display()
        rows = []
        for name, spec in values.specs.items():
            value = shown[name]
            if spec.no_echo and not values.raw.get(name):
                rows.append((name, EMPTY, ""))  # no secret to hide: say it is empty
                continue
            rows.append((name, value, "  (default)" if value != MASK and spec.default == value else ""))
        return rows

    def confirm(self) -> bool:
        if self.deployment is None:
            self.notify(self.problem or "cannot deploy yet", severity="error")
            return False
        return True
