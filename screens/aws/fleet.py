"""Fleet: the profile's accounts deployed through one CloudFormation stack set, from the review.

A profile whose ``accounts:`` section lists several accounts is a fleet: the stack set gets the
profile's shared values, each account's own values are its stack instance's overrides. This
screen shows the core's plan of it (``wizard.fleet.plan``, made in a worker): a row an instance
with its verdict, then each instance's overrides of the stack set's values (NoEcho masked, ``*``
on one that changes a value every account shares) and its permission and network difference
against the fleet's base, a broadening or weakening one in the warning colour. An instance the
profile cannot deploy is shown with its message, and nothing can be deployed then.

The rest goes as a change set does, through the functions behind ``quilt-wizard fleet deploy``
(``wizard.commands.fleet_deploy``): the check (Enter or the button) only reads the stack set
and what its permission model needs (the roles, or the Organizations access) and says what a
deployment would do; ``x`` then names the capabilities the stack set acknowledges, with the
resources that need them, in the typed confirmation the change set uses; only the typed
stack-set name deploys. The operations are followed as progress and the screen ends with the
table of instances. The fleet deploys the profile as saved: answers changed in this run and not
saved are named, so that nobody deploys something other than what the review showed unawares.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from screens.aws.aws_screen import AwsScreen
from screens.dialogs import TypedConfirmDialog
from screens.widgets.diff_panel import DiffPanel, Line
from wizard.commands.fleet_deploy import (PERMISSION_MODELS, check_stack_set_name, check_template_size,
                                          parse_ous, stack_set_name_for)
from wizard.errors import InputError, WizardError
from wizard.fleet.text import counted, table as aligned, verdict

if TYPE_CHECKING:
    from screens.aws.aws_screen import AwsCall
    from screens.aws.session import DeploySession
    from wizard.aws import AwsSession
    from wizard.commands.fleet_deploy import FleetDeployment, FleetOutcome
    from wizard.fleet.plan import FleetPlan, Instance

STANDS_OUT = "bold $text-warning"
"""How an instance whose overrides broaden or weaken access is written (as the diff panel's verdict)."""

INSTANCE_STATUS_COLOURS = {"CURRENT": "text-success", "OUTDATED": "text-warning", "INOPERABLE": "text-error"}
"""The theme variable of each stack-instance status's colour in the final table."""


def plan_summary(plan: "FleetPlan") -> Content:
    """The fleet in one heading, then a row an instance: its overrides and its verdict; the
    refused instances last, with their message."""
    instances = len(plan.instances) + len(plan.refused)
    accounts = len(set(plan.accounts) | {r.account for r in plan.refused})
    heading = (f"Fleet of profile {plan.profile.name}: {counted(instances, 'stack instance')} in "
               f"{counted(accounts, 'account')}")
    rows = [("ACCOUNT", "REGION", "OVERRIDES", "VERDICT")]
    rows += [(i.account, i.region, str(len(i.overrides)), verdict(i)) for i in plan.instances]
    rows += [(r.account, r.region, "-", "REFUSED") for r in plan.refused]
    rendered = aligned(rows)
    parts: list[Content] = [Content.styled(heading, "bold"), Content.styled(rendered[0], "$text-muted")]
    for text, instance in zip(rendered[1:], plan.instances):
        parts.append(Content.styled(text, STANDS_OUT) if instance.broadening or instance.weakening else Content(text))
    for text in rendered[1 + len(plan.instances):]:
        parts.append(Content.styled(text, "bold $text-error"))
    per_account = ", ".join(plan.per_account)
    parts.append(Content.styled("The stack set gets the profile's shared values"
                                + (f"; {per_account}: each account's own" if per_account else "")
                                + ". Below, each instance against the fleet's base.", "$text-muted"))
    for refusal in plan.refused:
        parts.append(Content.assemble(("Refused: ", "bold $text-error"), (refusal.message, "$text-error")))
    if plan.refused:
        parts.append(Content.styled("Nothing can be deployed while an instance is refused: fix the profile, then "
                                    "open this screen again.", "$text-error"))
    return Content("\n").join(parts)


def override_lines(plan: "FleetPlan", instance: "Instance") -> list[Line]:
    """The instance's overrides of the stack set's values, NoEcho masked; ``*`` (in the warning
    colour) on one that changes a value every account shares."""
    lines: list[Line] = []
    if not instance.overrides:
        lines.append((Content("    "), Content.styled("none: the stack set's values", "$text-muted")))
    for name, value in instance.shown_overrides().items():
        text = f"{name} = {value if value != '' else '(empty)'}"
        if name in plan.per_account:
            lines.append((Content("    "), Content(text)))
        else:
            lines.append((Content.styled("  * ", STANDS_OUT), Content.styled(text, STANDS_OUT)))
    lines.append((Content(""), Content.styled("Against the fleet's base (the shared values, in this account and "
                                              "region):", "$text-muted")))
    return lines


class InstancePanel(DiffPanel):
    """One instance: its overrides, then its permission and network difference against the
    fleet's base (the panel's border in the warning colour when it broadens or weakens)."""

    def __init__(self, plan: "FleetPlan", instance: "Instance") -> None:
        super().__init__(f"{instance.account} · {instance.region} · {verdict(instance)}", classes="fleet-instance")
        self.plan = plan
        self.instance = instance

    def on_mount(self) -> None:
        self.show_diff(self.instance.diff, "Overrides of the stack set's values (* changes a value every account "
                                           "shares)", override_lines(self.plan, self.instance))


class FleetScreen(AwsScreen):
    """The fleet's plan, the stack set's name and permission model, the check, the typed
    confirmation, the deployment followed, and the table of instances."""

    BINDINGS = [Binding("x", "deploy", "Deploy…")]
    """x opens the typed confirmation (only once the check found nothing in the way)."""

    section = "fleet"
    title_text = "Fleet: the profile's accounts through a CloudFormation stack set"
    run_label = "Check the stack set"

    def __init__(self) -> None:
        super().__init__()
        self.plan: "FleetPlan | None" = None
        self.planned_name = ""
        """The stack-set name the plan was made with (AWS::StackName while analysing)."""
        self.plan_problem: str | None = None
        self.unsaved: tuple[str, ...] = ()
        """Parameters this run sets otherwise than the profile does for its account."""
        self.prepared: "FleetDeployment | None" = None
        self.aws: "AwsSession | None" = None
        self.bucket: str | None = None
        self.outcome: "FleetOutcome | None" = None

    def help(self) -> str:
        from wizard.aws.changeset import TEMPLATE_BODY_LIMIT

        session = self.session
        text = (f"The stack set (in {session.pseudo.region}) gets the shared values of profile {session.profile}, each "
                "instance its account's own. Self-managed needs IAM roles you create; service-managed, AWS "
                "Organizations. The check only reads: nothing changes until you press x and type the name.")
        size = len(session.template.text.encode("utf-8"))
        if size > TEMPLATE_BODY_LIMIT:
            text += (f" The template ({size:,} bytes) is over the {TEMPLATE_BODY_LIMIT:,}-byte inline limit: it goes "
                     "through the template bucket.")
        return text

    # -- layout ---------------------------------------------------------------------------

    def compose_fields(self) -> Iterable[Widget]:
        from wizard.aws.changeset import TEMPLATE_BODY_LIMIT

        session, options = self.session, self.wizard.options
        size = len(session.template.text.encode("utf-8"))
        bucket_label = "Template bucket (S3)" if size > TEMPLATE_BODY_LIMIT else "Template bucket (optional)"
        with Horizontal(classes="aws-row"):
            with Vertical(classes="aws-field"):
                yield Label("Stack-set name", classes="field-label")
                yield Input(stack_set_name_for(session.pseudo.stack_name), id="stack-set-name")
            with Vertical(classes="aws-field"):
                yield Label("Permission model", classes="field-label")
                yield Select([(model, model) for model in PERMISSION_MODELS], value="self-managed",
                             allow_blank=False, id="permission-model")
            with Vertical(classes="aws-field"):
                yield Label(bucket_label, classes="field-label")
                yield Input(options.template_bucket or "", placeholder=f"an S3 bucket in {session.pseudo.region}",
                            id="template-bucket")
        with Horizontal(classes="aws-row", id="ous-row"):
            with Vertical(classes="aws-field"):
                yield Label("Organizational units (service-managed: the stack set targets these, narrowed to the "
                            "profile's accounts)", classes="field-label")
                yield Input(placeholder="ou-xxxx-xxxxxxxx,…", id="ous")

    def compose_results(self) -> Iterable[Widget]:
        instances = DataTable(id="fleet-instances", cursor_type="row", zebra_stripes=True)
        instances.display = False
        yield instances
        with VerticalScroll(id="fleet-plan"):
            yield Static(Content.styled("Planning every instance…", "$text-muted"), id="fleet-summary")

    def on_mount(self) -> None:
        super().on_mount()
        for empty in ("#ous-row", "#aws-progress"):
            self.query_one(empty).display = False  # until there is something to show
        name = self.query_one("#stack-set-name", Input).value.strip()
        self.planned_name = name
        self.make_plan(self.session, name)

    # -- the plan -------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="fleet-plan")
    def make_plan(self, session: "DeploySession", name: str) -> tuple[Any, tuple[str, ...]]:
        """The core's plan, off the UI thread (each instance is a whole single-run plan); an
        error that stops the whole plan (the shared values refused) comes back as its message."""
        try:
            return session.plan_fleet(name)
        except WizardError as exc:
            return str(exc), ()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "fleet-plan" or event.state != WorkerState.SUCCESS or not self.is_attached:
            return
        plan, unsaved = worker.result
        if isinstance(plan, str):
            self.plan_problem = plan
            self.query_one("#fleet-summary", Static).update(Content.assemble(
                ("Cannot plan the fleet: ", "bold $text-error"), (plan, "$text-error")))
            return
        self.show_plan(plan)
        self.unsaved = unsaved
        if unsaved:
            self.set_status(Content.assemble(
                ("Not in the profile: ", "bold $text-warning"),
                (f"this run sets {', '.join(unsaved)} otherwise than profile {plan.profile.name} does for account "
                 f"{self.session.pseudo.account_id}. The fleet deploys the profile as saved.", "$text-warning")))

    def show_plan(self, plan: "FleetPlan") -> None:
        """The summary, then one panel an instance: its overrides and its difference."""
        self.plan = plan
        scroll = self.query_one("#fleet-plan", VerticalScroll)
        scroll.query(DiffPanel).remove()
        self.query_one("#fleet-summary", Static).update(plan_summary(plan))
        scroll.mount_all([InstancePanel(plan, instance) for instance in plan.instances])
        self.refresh_bindings()

    # -- the check -------------------------------------------------------------------------------

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "permission-model":
            self.query_one("#ous-row").display = event.value == "service-managed"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "deploy":
            return bool(self.prepared and not self.prepared.problem and self.outcome is None and not self.running)
        return super().check_action(action, parameters)

    def _refusal(self) -> str | None:
        """Why the plan cannot be checked yet, or None."""
        if self.plan_problem:
            return f"Cannot plan the fleet: {self.plan_problem}"
        if self.plan is None:
            return "The plan is still being made."
        if not self.plan.deployable:
            return (f"Cannot deploy: {counted(len(self.plan.refused), 'instance')} refused (below). Fix the profile, "
                    "then open this screen again.")
        return None

    def prepare(self) -> "AwsCall | None":
        refusal = self._refusal()
        if refusal:
            self.set_status(Content.styled(refusal, "$text-error"))
            return None
        assert self.plan is not None
        session, plan = self.session, self.plan
        name = self.query_one("#stack-set-name", Input).value.strip()
        model = str(self.query_one("#permission-model", Select).value)
        bucket = self.query_one("#template-bucket", Input).value.strip() or None
        try:
            check_stack_set_name(name, where="stack-set name")
            ous = (parse_ous(self.query_one("#ous", Input).value.strip() or None, where="organizational units")
                   if model == "service-managed" else [])
            if model == "service-managed" and not ous:
                raise InputError("a service-managed stack set deploys to organizational units: give them",
                                 where="organizational units")
            check_template_size(plan, bucket, where="template bucket")
        except InputError as exc:
            self.set_status(Content.styled(str(exc), "$text-error"))
            return None
        self.prepared, self.bucket = None, bucket
        replan = name != self.planned_name

        def call(aws: "AwsSession", progress, _cancel) -> Any:
            from wizard.commands.fleet_deploy import prepare_fleet

            chosen = session.plan_fleet(name)[0] if replan else plan
            if not chosen.deployable:
                raise InputError(chosen.refused[0].message)
            return chosen, prepare_fleet(aws, chosen, name, model=PERMISSION_MODELS[model], ous=ous,
                                         on_progress=progress)

        return call

    @on(AwsScreen.Failed)
    def forget_the_check(self, message: AwsScreen.Failed) -> None:
        """A failed check or deployment leaves nothing to deploy: check again (the stack set may
        have changed)."""
        if message.run == self.run_number:
            self.prepared = None

    def cancelled_note(self) -> str:
        return ": its result will be ignored (the check only reads; nothing was created)."

    # -- results ------------------------------------------------------------------------------

    def show_result(self, kind: str, result: Any, aws: "AwsSession") -> None:
        if kind == "execute":
            self.show_outcome(result)
            return
        plan, prepared = result
        if plan is not self.plan:
            self.planned_name = prepared.name
            self.show_plan(plan)
        self.prepared, self.aws = prepared, aws
        checks = [Content.assemble("\n  ", (c.text, "" if c.ok else "bold $text-error")) for c in prepared.checks]
        if prepared.problem:
            self._show_form(True)
            self.set_status(Content.assemble(("Cannot deploy: ", "bold $text-error"),
                                             (prepared.problem, "$text-error"), *checks))
        else:
            self.set_status(Content.assemble(
                (f"Stack set {prepared.name} in {aws.region}:", "bold"), *checks,
                *(f"\n  {step}" for step in prepared.steps(plan)), f"\n  acknowledge {prepared.acknowledged()}",
                ("\nPress x to deploy; you will be asked to type the stack-set name.", "$text-muted")))
        self.refresh_bindings()

    def action_deploy(self) -> None:
        """Ask for the typed stack-set name, naming the steps and the capabilities; deploy only on a
        match, in a worker that follows each operation."""
        prepared, plan = self.prepared, self.plan
        if prepared is None or prepared.problem or plan is None or self.outcome is not None or self.running:
            return
        bucket = self.bucket

        def confirmed(yes: bool | None) -> None:
            if not yes or self.aws is None:
                self.set_status(Content.styled("Not deployed: nothing was created or changed.", "$text-warning"))
                return
            from wizard.commands.fleet_deploy import deploy_fleet

            self.start("execute", lambda aws, progress, _cancel: deploy_fleet(
                aws, plan, prepared, template_bucket=bucket, on_progress=progress), aws=self.aws)
            self.set_status(Content.styled(f"Deploying stack set {prepared.name}… (the operations go on in "
                                           "CloudFormation whatever happens here)", "$text-muted"))

        steps = "; ".join(prepared.steps(plan))
        unsaved = (f" It deploys profile {plan.profile.name} as saved, without this run's {', '.join(self.unsaved)}."
                   if self.unsaved else "")
        self.app.push_screen(TypedConfirmDialog(
            f"Deploy stack set {prepared.name} ({prepared.model_name}) to "
            f"{counted(len(plan.instances), 'stack instance')} in {counted(len(plan.accounts), 'account')}? "
            f"It will {steps}. It acknowledges {prepared.acknowledged()}.{unsaved} CloudFormation then deploys in "
            "every account; this cannot be undone from here.", prepared.name, yes="Deploy"), confirmed)

    def show_outcome(self, outcome: "FleetOutcome") -> None:
        """Where each operation ended, and the table of instances."""
        self.outcome = outcome
        self.query_one("#fleet-plan").display = False
        if outcome.failure:
            self.set_status(Content.assemble(("Failed: ", "bold $text-error"), (outcome.failure, "$text-error")))
        else:
            self.set_status(Content.assemble(
                (f"Deployed stack set {outcome.name}", "bold $text-success"),
                f": {counted(len(outcome.operations), 'operation')} succeeded; "
                f"{counted(len(outcome.instances), 'stack instance')}. quilt-wizard fleet status --stack-set-name "
                f"{outcome.name} shows them later."))
        self._fill(outcome)
        self.refresh_bindings()

    def _fill(self, outcome: "FleetOutcome") -> None:
        table = self.query_one("#fleet-instances", DataTable)
        table.clear(columns=True)
        for label in ("Account", "Region", "Status", "Detail", "Drift", "Reason"):
            table.add_column(label, key=label.lower())
        variables = self.app.get_css_variables()
        for i in outcome.instances:
            colour = variables.get(INSTANCE_STATUS_COLOURS.get(i.status, ""), "")
            table.add_row(Text(i.account), Text(i.region), Text(i.status or "-", style=f"bold {colour}".strip()),
                           Text(i.detailed_status or "-"), Text(i.drift_status or "-"), Text(i.status_reason or "-"),
                           key=f"{i.account} {i.region}")
        table.display = True
        table.focus()
