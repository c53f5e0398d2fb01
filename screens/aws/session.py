"""The wizard's session with the AWS steps and the fleet: ``DeploySession``.

The core's ``WizardSession`` (``wizard.flow.session``) holds the run; the calls that reach AWS
(the preflight, the change set) and the fleet's plan sit above it, where the face may import
``wizard.aws`` and ``wizard.fleet``. They run in worker threads and change nothing in the
session; the screen adopts a preflight report on the UI thread (``adopt_preflight``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from wizard.errors import InputError
from wizard.flow.profiles import load_profile
from wizard.flow.session import WizardSession
from wizard.iam.analysis import analyse

if TYPE_CHECKING:
    import threading

    from wizard.aws import AwsSession, ChangeSetResult, PreflightReport
    from wizard.fleet.plan import FleetPlan


class DeploySession(WizardSession):
    """The wizard's run: the core session, and its AWS calls (worker threads; they raise
    AwsError or InputError) and the fleet's plan."""

    def aws_session(self, profile: str | None, endpoint_url: str | None,
                    deadline: float | None = None) -> "AwsSession":
        """A session in the deployment's region, from the standard credential chain; ``deadline``
        bounds each call (``--aws-deadline``; default 30 s)."""
        from wizard.aws import make_session

        return make_session(profile=profile or None, region=self.pseudo.region, endpoint_url=endpoint_url or None,
                            deadline=deadline)

    def run_preflight(self, aws: "AwsSession", on_progress: Callable[[str], None], *,
                      access_analyzer: bool = False) -> "PreflightReport":
        """The preflight of the final parameter values (the session is not changed: see ``adopt``);
        ``access_analyzer`` adds IAM Access Analyzer's checks of every policy (calls that reach AWS)."""
        from wizard.aws import run_preflight
        from wizard.commands.aws_steps import policy_check_request
        from wizard.iam.managed_policies import attached

        deployment = self.deployment()
        values = dict(deployment.values.raw)
        policies = attached(analyse(self.template, values, self.pseudo).grants)
        return run_preflight(aws, values, stack_name=self.pseudo.stack_name,
                             expected_account=self.expected_account, target_account=self.pseudo.account_id,
                             on_progress=on_progress, managed_policy_arns=policies,
                             access_analyzer=policy_check_request(deployment) if access_analyzer else None,
                             parameter_types={name: spec.type for name, spec in self.template.parameters.items()})

    def create_change_set(self, aws: "AwsSession", *, stack_name: str, change_set_name: str | None,
                          template_bucket: str | None, on_progress: Callable[[str], None],
                          cancel: "threading.Event", capabilities: tuple[str, ...] | None = None) -> "ChangeSetResult":
        """Create (never execute) the change set of the first phase's parameters, as the headless run does."""
        from wizard.aws import create_change_set, require_account

        deployment = self.deployment()
        if self.expected_account:
            require_account(aws, self.expected_account)
        body = self.hardening.text if self.hardening else self.template.text
        return create_change_set(aws, stack_name=stack_name, template_body=body,
                                 parameters=dict(deployment.phases[0].values.raw),
                                 change_set_name=change_set_name or None, template_bucket=template_bucket or None,
                                 tags=dict(deployment.tags) or None, on_progress=on_progress, cancel=cancel,
                                 secret_parameters=self.secret_parameters, capabilities=capabilities)

    def fleet_accounts(self) -> tuple[str, ...]:
        """The accounts of the profile's ``accounts:`` section (none for a mode, or a profile that
        cannot be read)."""
        if not self.profile:
            return ()
        try:
            return tuple(load_profile(self.profile).accounts)
        except InputError:
            return ()

    def plan_fleet(self, stack_set_name: str) -> "tuple[FleetPlan, tuple[str, ...]]":
        """The fleet's plan (``wizard.fleet.plan``) of the profile as saved, on this run's template,
        refused instances kept; and the parameters this run sets otherwise for its own account
        (answers not saved in the profile; none when the run is not complete)."""
        from wizard.fleet.plan import not_in_profile, plan_fleet

        assert self.profile is not None
        plan = plan_fleet(self.profile, self.template, stack_name=stack_set_name, hardening=self.hardening,
                          strict=False)
        try:
            values = self.deployment().values.raw
        except InputError:
            return plan, ()
        return plan, not_in_profile(plan, values, self.pseudo.account_id, self.pseudo.region)
