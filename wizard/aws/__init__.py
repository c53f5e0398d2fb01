"""The only part of quilt-wizard that talks to AWS, and the only place boto3 is imported.

Everything else in the core is pure and testable without an account. This package makes
the session (:mod:`.session`), checks the account before a deployment (:mod:`.preflight`;
on request, with IAM Access Analyzer's checks of every policy document, :mod:`.access_analyzer`),
keeps the managed template bucket (:mod:`.template_bucket`), creates change sets
(:mod:`.changeset`) and shows them (:mod:`.change_table`) with the security change of each
resource (:mod:`.security`), follows an execution to its end (:mod:`.events`, :mod:`.outputs`),
creates, updates and follows stack sets and their instances for ``quilt-wizard fleet``
(:mod:`.stacksets`), reads what a deployed stack holds for
``quilt-wizard audit`` and ``approve`` (:mod:`.deployed`), writes the policy versions an approver
confirmed (:mod:`.approval`) and turns every AWS failure into one
clear ``AwsError`` (:mod:`.errors`), an answer of the wrong shape included (:mod:`.answers`).

Importing this package imports neither boto3 nor botocore: the names below are loaded on
first use, and boto3 itself only when a session is made. A run that never talks to AWS
never pays for it.

It uses ``wizard.iam`` (pattern matching), ``wizard.cfn`` and the audit's snapshot records
(``wizard.audit.holdings``, filled by :mod:`.deployed`), and must not import
``wizard.flow``, ``wizard.findings``, ``wizard.commands`` or the UI: the commands and the
screens hand it the values it checks.

    session = make_session(profile="acme", region="us-east-1")
    require_account(session, "123456789012")
    report = run_preflight(session, parameters, stack_name="quilt")
    result = create_change_set(session, stack_name="quilt", template_body=body,
                               parameters=parameters)
    print(render_change_set(result))
    # only after the operator confirms:
    execute_change_set(session, result)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AwsSession": "session",
    "CallerIdentity": "session",
    "make_session": "session",
    "caller_identity": "session",
    "require_account": "session",
    "CheckStatus": "checks",
    "PreflightCheck": "checks",
    "PreflightReport": "preflight",
    "run_preflight": "preflight",
    "render_preflight": "preflight",
    "Backoff": "changeset",
    "ChangeSetFailed": "changeset",
    "ChangeSetResult": "changeset",
    "ResourceChange": "changeset",
    "StackState": "changeset",
    "create_change_set": "changeset",
    "execute_change_set": "changeset",
    "read_stack": "changeset",
    "render_change_set": "change_table",
    "AccessDenied": "errors",
    "CredentialsError": "errors",
    "EndpointUnreachable": "errors",
    "MalformedAnswer": "errors",
    "RequestInvalid": "errors",
    "ServiceError": "errors",
    "Throttled": "errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from wizard.aws.change_table import render_change_set
    from wizard.aws.changeset import (Backoff, ChangeSetFailed, ChangeSetResult,
                                      ResourceChange, StackState, create_change_set,
                                      execute_change_set, read_stack)
    from wizard.aws.errors import (AccessDenied, CredentialsError, EndpointUnreachable,
                                   MalformedAnswer, RequestInvalid, ServiceError, Throttled)
    from wizard.aws.preflight import (CheckStatus, PreflightCheck, PreflightReport,
                                      render_preflight, run_preflight)
    from wizard.aws.session import (AwsSession, CallerIdentity, caller_identity,
                                    make_session, require_account)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'wizard.aws' has no attribute {name!r}")
    value = getattr(import_module(f"wizard.aws.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
