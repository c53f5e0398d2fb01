"""Change set: create one for the parameters just written, show what it would change, and
execute it only when the operator types the stack name.

A security-conscious customer reads the exact list of resources a deployment adds, modifies,
replaces or removes before anything happens, so creating and executing are two separate
acts here, as in the core: ``create_change_set`` runs in a worker (cancellable with Escape,
through the core's ``cancel`` event), its changes fill a table, and ``x`` opens a
confirmation that only the typed stack name satisfies, naming the capabilities it acknowledges.
Nothing is ever executed otherwise. Each IAM and network row shows its security change (the
core's ``review_change_set``), detailed under the status line. The embedded template is larger
than CloudFormation takes inline: it goes through the bucket typed (prefilled from
``--template-bucket``) or the managed template bucket, which a dialog asks before creating.
After an execution the stack's events scroll by as progress until it ends (Escape stops the
watching, never the deployment), then the final status and the outputs are shown.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Static

from screens.aws.aws_screen import AwsScreen
from screens.dialogs import ConfirmDialog, TypedConfirmDialog
from wizard.aws.changeset import TEMPLATE_BODY_LIMIT
from wizard.aws.template_bucket import EXPIRE_DAYS, TemplateBucketNeeded
from wizard.commands.aws_steps import profile_template_bucket
from wizard.errors import InputError

if TYPE_CHECKING:
    from screens.aws.aws_screen import AwsCall
    from wizard.aws import AwsSession, ChangeSetResult

OVERRIDE = "override"
"""What the operator types to create a change set after a failed preflight."""

ACTION_WIDTH, REPLACEMENT_WIDTH, SECURITY_WIDTH = 7, 11, 26
"""Fixed columns (Dynamic, Conditional, a two-line verdict); the logical id and the type share
the rest of the width."""

EVENT_LINES = 6
"""Stack events kept on screen once the deployment has ended."""

DETAIL_LINES = 4
"""Security lines shown for the highlighted resource (the table needs the rest of the screen)."""

_BREAKS = (re.compile(r"(?<=::)"), re.compile(r"(?<=[a-z0-9])(?=[A-Z])"))
"""Where a long name may wrap, best first: after ``::``, between the words of a CamelCase name."""


def _fold(name: str, width: int) -> str:
    """``name`` in lines of at most ``width``, broken where a reader expects (``_BREAKS``)."""
    lines = []
    while len(name) > width:
        cuts = next((found for pattern in _BREAKS
                     if (found := [m.start() for m in pattern.finditer(name) if 0 < m.start() <= width])), [])
        cut = cuts[-1] if cuts else width
        lines.append(name[:cut])
        name = name[cut:]
    return "\n".join([*lines, name])


def _shared_widths(result: "ChangeSetResult", shared: int) -> tuple[int, int]:
    """Widths of the logical id and type columns: each its longest value when both fit,
    else shared in proportion (the longest values then wrap)."""
    longest_id = max(len(c.logical_id) for c in result.changes)
    longest_type = max(len(c.resource_type) for c in result.changes)
    if longest_id + longest_type <= shared:
        return longest_id, shared - longest_id
    id_width = max(12, shared * longest_id // (longest_id + longest_type))
    return id_width, shared - id_width


class ChangeSetScreen(AwsScreen):
    """Create a change set, list its changes, execute after a typed confirmation."""

    BINDINGS = [Binding("x", "execute", "Execute…")]
    """x opens the confirmation (only once a change set with changes is ready)."""

    section = "change set"
    title_text = "Change set: what the deployment would change"
    help_text = ("Creates a CloudFormation change set with the parameters just written and lists what it would "
                 "add, modify, replace or remove. Nothing is executed unless you press x and type the stack name.")

    def help(self) -> str:
        size = len(self.session.template.text.encode("utf-8"))
        if size <= TEMPLATE_BODY_LIMIT:
            return self.help_text
        return (f"{self.help_text} The template ({size:,} bytes) is over the {TEMPLATE_BODY_LIMIT:,}-byte inline "
                "limit: it goes through the template bucket.")
    run_label = "Create change set"

    def __init__(self) -> None:
        super().__init__()
        self.result: "ChangeSetResult | None" = None
        self.security: Any = None
        self.aws: "AwsSession | None" = None
        self.executed = False
        self.overridden = False
        """The operator typed the override after a failed preflight."""
        self.bucket_agreed = False
        """The operator agreed to create the managed template bucket."""
        self.deployment_result: Any = None
        """Where the executed change set's stack operation ended (``FollowResult``)."""

    def compose_fields(self) -> Iterable[Widget]:
        session, options = self.session, self.wizard.options
        needed = len(session.template.text.encode("utf-8")) > TEMPLATE_BODY_LIMIT
        bucket_label = "Template bucket (S3)" if needed else "Template bucket (optional)"
        with Horizontal(classes="aws-row"):
            with Vertical(classes="aws-field"):
                yield Label("Stack name", classes="field-label")
                yield Input(session.pseudo.stack_name, id="stack-name")
            with Vertical(classes="aws-field"):
                yield Label("Change-set name", classes="field-label")
                yield Input(placeholder="empty: dated", id="change-set-name")
            with Vertical(classes="aws-field"):
                yield Label(bucket_label, classes="field-label")
                yield Input(options.template_bucket or "", placeholder=f"an S3 bucket in {session.pseudo.region}",
                            id="template-bucket")

    def compose_notes(self) -> Iterable[Widget]:
        yield Static("", id="change-set-security", markup=False)

    def compose_results(self) -> Iterable[Widget]:
        table = DataTable(id="changes", cursor_type="row", zebra_stripes=True)
        table.display = False
        yield table

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "execute":
            return bool(self.result and self.result.executable and not self.executed and not self.running)
        return super().check_action(action, parameters)

    def prepare(self) -> "AwsCall | None":
        session = self.session
        stack = self.query_one("#stack-name", Input).value.strip()
        name = self.query_one("#change-set-name", Input).value.strip() or None
        bucket = self.query_one("#template-bucket", Input).value.strip() or None
        if not stack:
            self.set_status(Content.styled("Give the stack name.", "$text-error"))
            return None
        try:
            session.deployment()
        except InputError as exc:
            self.set_status(Content.styled(f"Cannot create a change set: {exc}", "$text-error"))
            return None
        refusal = session.change_set_refusal()
        if refusal and not self.overridden:
            self.set_status(Content.assemble(("Refused: ", "bold $text-error"),
                                             (f"{refusal}. Fix it and run the preflight again, or type "
                                              f"{OVERRIDE} in the dialog to create the change set anyway.",
                                              "$text-error")))
            self.app.push_screen(TypedConfirmDialog(
                f"{refusal[0].upper()}{refusal[1:]}. A change set created now may fail or deploy into an "
                "account that is not ready.", OVERRIDE, yes="Create anyway"), self._overridden)
            return None
        self.result = None
        self.security = None
        self.executed = False
        self.query_one("#changes", DataTable).display = False
        self.query_one("#change-set-security", Static).update("")
        parameters = dict(session.deployment().phases[0].values.raw)
        needed = len(session.template.text.encode("utf-8")) > TEMPLATE_BODY_LIMIT
        agreed, template, pseudo = self.bucket_agreed, session.template, session.pseudo
        profile_bucket = profile_template_bucket(session.profile, pseudo.account_id) if needed else None

        def call(aws: "AwsSession", progress, cancel) -> Any:
            from wizard.aws.security import planned_evaluation, required_capabilities, review_change_set
            from wizard.aws.template_bucket import resolve_template_bucket

            chosen = bucket
            if needed:
                try:
                    chosen = resolve_template_bucket(aws, given=bucket, profile_bucket=profile_bucket, create=agreed,
                                                     on_progress=progress).name
                except TemplateBucketNeeded as exc:
                    return exc  # the operator is asked, on the UI thread
            after = planned_evaluation(template, parameters, stack, pseudo.region, pseudo.account_id)
            result = session.create_change_set(
                aws, stack_name=stack, change_set_name=name, template_bucket=chosen, on_progress=progress,
                cancel=cancel, capabilities=tuple(c.name for c in required_capabilities(after)))
            security = review_change_set(aws, result, after, on_progress=progress) if result.changes else None
            return result, security

        return call

    def _overridden(self, yes: bool | None) -> None:
        if yes:
            self.overridden = True
            self.action_run()

    def cancelled_note(self) -> str:
        if self.executed:
            stack = self.result.stack_name if self.result else "NAME"
            return (f": stopped following; the deployment goes on in CloudFormation. Follow it again with "
                    f"quilt-wizard status --stack-name {stack} --follow")
        return (": its result will be ignored. A change set already created stays in CloudFormation, "
                "unexecuted, until deleted.")

    def ask_for_bucket(self, needed: Any) -> None:
        """Ask before creating the managed template bucket; on yes, create the change set again."""
        def answered(yes: bool | None) -> None:
            if yes:
                self.bucket_agreed = True
                self.action_run()
            else:
                self.set_status(Content.styled("Not created: type a template bucket to use instead.",
                                               "$text-warning"))

        self._show_form(True)
        self.app.push_screen(ConfirmDialog(
            f"The template is over CloudFormation's inline limit. Create the template bucket s3://{needed.bucket}? "
            f"Encrypted, public access blocked, TLS only, versioned, templates expire after {EXPIRE_DAYS} days; it is "
            "reused on later runs.", yes="Create bucket"), answered)

    def follow(self, seen: set[str]) -> None:
        """Watch the stack the execution started: its events as progress, until it ends."""
        from wizard.aws.events import follow_stack

        assert self.result is not None and self.aws is not None
        stack = self.result.stack_name
        self.start("follow", lambda aws, progress, cancel: follow_stack(
            aws, stack, seen=seen, on_event=lambda event: progress(event.line()), cancel=cancel,
            after_execution=True), aws=self.aws)
        self.set_status(Content.styled(f"Executing: following stack {stack}… (escape stops following, "
                                       "not the deployment)", "$text-muted"))

    def show_result(self, kind: str, result: Any, aws: "AwsSession") -> None:
        from wizard.aws import render_change_set

        if kind == "execute":
            self.executed = True
            assert self.result is not None
            self.refresh_bindings()
            self.follow(result)
            return
        if kind == "follow":
            from wizard.aws.events import render_follow

            self.deployment_result = result
            style = "bold $text-success" if result.succeeded else "bold $text-error"
            first, _, rest = render_follow(result).partition("\n")
            events = [f"  {event.line()}" for event in result.events[-EVENT_LINES:]]
            shown = "\n".join([f"Events ({len(result.events)}, the latest):", *events, rest.rstrip()])
            self.set_status(Content.assemble((first, style), ("\n" + shown.rstrip(), "")))
            return
        if isinstance(result, TemplateBucketNeeded):
            self.ask_for_bucket(result)
            return
        result, self.security = result
        self.result, self.aws = result, aws
        headline = render_change_set(result).splitlines()[0]
        if result.executable:
            self.set_status(Content.assemble((headline, "bold"), ("\nPress x to execute it; you will be asked to "
                                                                  "type the stack name.", "$text-muted")))
        else:
            self.set_status(Content.styled(headline, "bold"))
        table = self.query_one("#changes", DataTable)
        table.clear(columns=True)
        reviewed = self.security.resources if self.security is not None else {}
        self.query_one("#change-set-security", Static).update(self.security_text())
        if result.changes:
            id_width, type_width = _shared_widths(
                result, self.table_width() - ACTION_WIDTH - REPLACEMENT_WIDTH - SECURITY_WIDTH - 10)
            table.add_column("Action", width=ACTION_WIDTH, key="action")
            table.add_column("Logical id", width=id_width, key="logical_id")
            table.add_column("Type", width=type_width, key="type")
            table.add_column("Replacement", width=REPLACEMENT_WIDTH, key="replacement")
            table.add_column("Security", width=SECURITY_WIDTH, key="security")
            for change in result.changes:
                review = reviewed.get(change.logical_id)
                summary = review.summary() if review is not None else "-"
                style = "bold red" if review is not None and (review.broadening or review.weakening) else ""
                table.add_row(Text(change.action), Text(_fold(change.logical_id, id_width)),
                              Text(_fold(change.resource_type, type_width)), Text(change.replacement or "-"),
                              Text(summary.replace("; ", "\n"), style=style), key=change.logical_id, height=None)
            table.display = True
            table.focus()
        self.refresh_bindings()

    def security_text(self, logical_id: str | None = None) -> str:
        """Under the status line: the capabilities, and what the highlighted row's IAM and
        network changes are (the first few; ``--json`` of the headless run has them all)."""
        if self.security is None:
            return ""
        lines = [f"Security change against {self.security.baseline}; capabilities: "
                 + ("; ".join(c.describe() for c in self.security.capabilities) or "none")]
        review = self.security.resources.get(logical_id or "")
        if review is not None:
            details = review.details()
            lines.append(f"{logical_id}:")
            lines += [f"  {line}" for line in details[:DETAIL_LINES]]
            if len(details) > DETAIL_LINES:
                lines.append(f"  … {len(details) - DETAIL_LINES} more")
        return "\n".join(lines)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted resource's security change, under the status line."""
        if event.data_table.id == "changes" and event.row_key is not None:
            self.query_one("#change-set-security", Static).update(self.security_text(str(event.row_key.value)))

    def action_execute(self) -> None:
        """Ask for the typed stack name; execute only on a match, then follow the stack."""
        result = self.result
        if result is None or not result.executable or self.executed:
            return

        def confirmed(yes: bool | None) -> None:
            if yes and self.aws is not None:
                from wizard.aws import execute_change_set
                from wizard.aws.events import event_ids

                def execute(aws: "AwsSession", _progress, _cancel) -> set[str]:
                    seen = event_ids(aws, result.stack_name)
                    execute_change_set(aws, result)
                    return seen

                self.start("execute", execute, aws=self.aws)

        capabilities = (", ".join(c.describe() for c in self.security.capabilities)
                        if self.security is not None else ", ".join(result.capabilities))
        acknowledged = f" It acknowledges {capabilities}." if capabilities else ""
        self.app.push_screen(TypedConfirmDialog(
            f"Execute change set {result.change_set_name} on stack {result.stack_name}? CloudFormation will "
            f"make the {len(result.changes)} changes listed; this cannot be undone from here.{acknowledged}",
            result.stack_name, yes="Execute"), confirmed)
