"""Following a stack-set operation (polled until it ends, each instance's result and reason kept)
and the trusted-access check of the service-managed model.

moto's operations end at once and always succeed, and moto has no DescribeOrganizationsAccess;
recorded answers stand in for CloudFormation here, so the waiting, a failed instance's reason and
a disabled trusted access are exercised too.
"""

from __future__ import annotations

from wizard.aws.changeset import Backoff
from wizard.aws.stacksets import follow_operation


class RecordedCloudFormation:
    """Answers DescribeStackSetOperation from a list of statuses, then the operation's results."""

    def __init__(self, statuses: list[str], results: list[dict]) -> None:
        self.statuses = statuses
        self.results = results
        self.calls: list[tuple[str, dict]] = []

    def call(self, service: str, method: str, **params):
        self.calls.append((method, params))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {"StackSetOperation": {"OperationId": params["OperationId"], "Action": "UPDATE", "Status": status,
                                      "StatusReason": "one account failed" if status == "FAILED" else None}}

    def pages(self, service: str, method: str, **params):
        self.calls.append((method, params))
        yield {"Summaries": self.results[:1]}
        yield {"Summaries": self.results[1:]}


def test_an_operation_is_polled_until_it_ends_and_each_instance_reason_is_kept():
    results = [{"Account": "111122223333", "Region": "us-east-1", "Status": "SUCCEEDED"},
               {"Account": "444455556666", "Region": "eu-west-1", "Status": "FAILED",
                "StatusReason": "Account 444455556666 should have 'AWSCloudFormationStackSetExecutionRole' role"}]
    cloudformation = RecordedCloudFormation(["QUEUED", "RUNNING", "FAILED"], results)
    lines: list[str] = []
    outcome = follow_operation(cloudformation, "fleet", "op-1", on_progress=lines.append,
                               backoff=Backoff(first=0.001, factor=1.0, longest=0.001, timeout=60))
    describes = [c for c in cloudformation.calls if c[0] == "describe_stack_set_operation"]
    assert len(describes) == 3 and all(c[1] == {"StackSetName": "fleet", "OperationId": "op-1"} for c in describes)
    assert not outcome.succeeded and outcome.status == "FAILED" and outcome.status_reason == "one account failed"
    assert [(r.account, r.status) for r in outcome.results] == [("111122223333", "SUCCEEDED"),
                                                                ("444455556666", "FAILED")]
    assert "AWSCloudFormationStackSetExecutionRole" in outcome.results[1].reason
    assert [line.split(": ", 1)[1].split(" (")[0] for line in lines[:3]] == ["QUEUED", "RUNNING", "FAILED"]
    assert any("444455556666 eu-west-1: FAILED" in line for line in lines)


class OrganizationsAccess:
    """Answers DescribeOrganizationsAccess with a status, or refuses it."""

    def __init__(self, status: str | None) -> None:
        self.status = status

    def call(self, service: str, method: str, **params):
        from wizard.aws.errors import AccessDenied

        assert (service, method) == ("cloudformation", "describe_organizations_access")
        if self.status is None:
            raise AccessDenied("denied", code="AccessDenied", action="cloudformation:DescribeOrganizationsAccess",
                               aws_message="denied")
        return {"Status": self.status}


def test_service_managed_needs_trusted_access_and_says_how_to_activate_it():
    from wizard.commands.fleet_deploy import _organizations_check

    (check,), problem = _organizations_check(OrganizationsAccess("DISABLED"))
    assert not check.ok and "activate-organizations-access" in problem
    (check,), problem = _organizations_check(OrganizationsAccess("ENABLED"))
    assert check.ok and problem is None and "Organizations: ENABLED" in check.text
    (check,), problem = _organizations_check(OrganizationsAccess(None))
    assert check.ok and problem is None and "could not be read by this caller" in check.text
