"""Preflight: check the AWS account for the parameters just written, before any change set.

A missing certificate or a disabled KMS key is otherwise found twenty minutes into a
deployment, followed by a rollback. The checks are the core's (``run_preflight``, read-only
calls); this screen runs them in a worker, shows each check as it starts, then a table: the
status in colour, what was found and, for a failure or warning, how to fix it.

When the stack already exists, its deployed parameters become the diff baseline (as in the
headless run, unless the operator chose a baseline): the review then shows what the answers
change compared with what runs now. The report is kept for the security report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from rich.text import Text
from textual.binding import Binding
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Checkbox, DataTable, Static

from screens.aws.aws_screen import AwsScreen
from wizard.errors import InputError

if TYPE_CHECKING:
    from screens.aws.aws_screen import AwsCall
    from wizard.aws import AwsSession, PreflightReport

STATUS_COLOURS = {"pass": "text-success", "warn": "text-warning", "fail": "text-error"}
"""The theme variable of each check status's colour (skip is dim)."""

STATUS_WIDTH, NAME_WIDTH = 6, 18
"""Fixed columns; detail and hint share the rest of the width and wrap."""


class PreflightScreen(AwsScreen):
    """Run the preflight and show its checks."""

    BINDINGS = [Binding("r", "run", "Run again")]
    """r runs the checks again (after fixing something in the account), once there are results."""

    section = "preflight"
    title_text = "Preflight: is the account ready?"
    help_text = ("Read-only checks of the account for the parameters just written: the certificate in the "
                 "region and covering the host, the KMS key, the log group, buckets, Athena workgroups and the "
                 "stack's state. Nothing is created. IAM Access Analyzer's checks, when ticked, send every policy "
                 "of the template to AWS.")
    run_label = "Run preflight"

    def __init__(self) -> None:
        super().__init__()
        self.report: "PreflightReport | None" = None

    def compose_fields(self) -> Iterable[Widget]:
        yield Checkbox("Also check every policy with IAM Access Analyzer (calls AWS; CheckNoNewAccess and "
                       "CheckAccessNotGranted are billed per call)", self.wizard.options.access_analyzer,
                       id="access-analyzer")

    def compose_notes(self) -> Iterable[Widget]:
        yield Static("", id="preflight-baseline")
        yield Static("", id="access-analyzer-findings", markup=False)

    def compose_results(self) -> Iterable[Widget]:
        table = DataTable(id="checks", cursor_type="row", zebra_stripes=True)
        table.display = False
        yield table

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "run":
            return self.report is not None and not self.running
        return super().check_action(action, parameters)

    def prepare(self) -> "AwsCall | None":
        session = self.session
        try:
            session.deployment()
        except InputError as exc:
            self.set_status(Content.styled(f"Cannot run the preflight: {exc}", "$text-error"))
            return None
        self.query_one("#checks", DataTable).display = False
        self.query_one("#preflight-baseline", Static).update("")
        self.query_one("#access-analyzer-findings", Static).update("")
        if self.query_one("#access-analyzer", Checkbox).value:
            return lambda aws, progress, _cancel: session.run_preflight(aws, progress, access_analyzer=True)
        return lambda aws, progress, _cancel: session.run_preflight(aws, progress)

    def cancelled_note(self) -> str:
        return ": the preflight's result will be ignored. Run it again when you are ready."

    def show_result(self, kind: str, result: Any, aws: "AwsSession") -> None:
        report: "PreflightReport" = result
        self.report = report
        counts = ", ".join(f"{n} {s}" for s, n in report.counts().items() if n)
        target = report.target_account or report.account
        where = f" (account {target}, {report.region})"
        caller = (Content.styled(f"\nThe credentials are for account {report.account}, not {target}.",
                                 "bold $text-warning") if report.caller_differs else Content(""))
        if report.ok:
            self.set_status(Content.assemble(("Ready", "bold $text-success"), f"{where}: {counts}.", caller))
        else:
            failed = ", ".join(report.failed)
            self.set_status(Content.assemble(("Not ready", "bold $text-error"), f"{where}: {counts}. Fix {failed}, "
                                             "then run the preflight again.", caller))
        self._show_baseline(report, self.session.adopt_preflight(report))
        self._show_analyzer(report)
        self._fill(report)
        self.refresh_bindings()

    def _show_baseline(self, report: "PreflightReport", adopted: bool) -> None:
        stack = report.stack
        note = self.query_one("#preflight-baseline", Static)
        if stack is None or report.change_set_type != "UPDATE":
            kind = report.change_set_type
            note.update("" if kind is None else f"No deployed stack {report.stack_name}: a change set will create it.")
            return
        if not adopted:
            note.update(Content.assemble(f"Stack {stack.name} is {stack.status}; the permission diff still compares "
                                         f"against {self.session.baseline_name}, the baseline chosen."))
            return
        try:
            summary = self.session.deployment().headline()
        except InputError as exc:
            summary = f"not available ({exc})"
        note.update(Content.assemble(
            ("Baseline: ", "bold"),
            f"stack {stack.name} is {stack.status}; the permission diff now compares against its deployed "
            f"parameters ({len(stack.parameters)}), on the review screen too. Against the deployed stack: ",
            (summary, "bold")))

    def _show_analyzer(self, report: "PreflightReport") -> None:
        """AWS's findings (IAM Access Analyzer), one a line, each with its policy and template line."""
        from wizard.aws.access_analyzer import render_results

        analysis = report.access_analysis
        note = self.query_one("#access-analyzer-findings", Static)
        if analysis is None or not analysis.findings:
            note.update("")
            return
        note.update("\n".join([f"IAM Access Analyzer (AWS) reported {len(analysis.findings)}; they join the "
                               "findings of the security report:", *render_results(analysis)]))

    def _fill(self, report: "PreflightReport") -> None:
        table = self.query_one("#checks", DataTable)
        table.clear(columns=True)
        rest = self.table_width() - STATUS_WIDTH - NAME_WIDTH - 8
        detail_width = rest * 3 // 5
        table.add_column("Status", width=STATUS_WIDTH, key="status")
        table.add_column("Check", width=NAME_WIDTH, key="check")
        table.add_column("Detail", width=detail_width, key="detail")
        table.add_column("Fix", width=rest - detail_width, key="hint")
        variables = self.app.get_css_variables()
        for check in report.checks:
            status = check.status.value
            colour = variables.get(STATUS_COLOURS.get(status, ""), "dim")
            hint = check.hint if status in ("fail", "warn") else ""
            table.add_row(Text(status.upper(), style=f"bold {colour}"), Text(check.name), Text(check.detail),
                          Text(hint), key=check.name, height=None)
        table.display = True
        table.focus()
