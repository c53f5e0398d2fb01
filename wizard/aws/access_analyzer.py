"""Preflight, on request (``--access-analyzer``): AWS's own policy checks, IAM Access Analyzer's.

The grants and findings are the wizard's reading of the template. IAM Access Analyzer is AWS's:
what cfn-policy-validator users rely on, and what an auditor may ask for. On request, and only
then (the calls reach AWS, and two of them are billed per call), this step sends every policy
document of the template to deploy (``wizard.iam.policy_documents``: identity, resource and trust
policies, deployment-time values as placeholders of the right form):

- ``ValidatePolicy`` on each, of its policy type (a trust policy as a resource policy of type
  ``AWS::IAM::AssumeRolePolicyDocument``, a bucket policy as ``AWS::S3::Bucket``...), every page
  of findings read;
- ``CheckNoNewAccess`` of each policy that changed against the same policy in the reference: the
  deployed stack's template and parameters when the stack exists, else the template's vendor
  version (or, for a template that needed no hardening, the baseline's values);
- ``CheckAccessNotGranted`` of each identity (and, where the list says so, resource) policy for
  the critical access listed in ``assets/access-analyzer.yaml``.

Each answer becomes an ``AnalyzerResult`` naming the policy, the statement and the template line
(AWS's location in the document, followed into the template). A call AWS refuses (access denied,
throttled after the retries, an endpoint that does not answer) is a warning naming the action,
and the other two checks still run; it never stops the preflight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from wizard.aws.checks import PreflightCheck, passed, skipped, warning
from wizard.aws.errors import AccessDenied, AwsError, EndpointUnreachable, RequestInvalid, Throttled
from wizard.aws.session import AwsSession
from wizard.cfn.evaluate import Evaluation
from wizard.iam.policy_documents import PolicyDocument, document_text, policy_documents, settings

SERVICE = "accessanalyzer"
VALIDATE, NO_NEW_ACCESS, NOT_GRANTED = "ValidatePolicy", "CheckNoNewAccess", "CheckAccessNotGranted"
CHECK_NAMES = {VALIDATE: "access-analyzer-validate", NO_NEW_ACCESS: "access-analyzer-no-new-access",
               NOT_GRANTED: "access-analyzer-not-granted"}
"""The preflight check each of the three actions reports as."""
BILLED = (NO_NEW_ACCESS, NOT_GRANTED)
"""The actions AWS bills per call (custom policy checks); ValidatePolicy is free."""


@dataclass(frozen=True)
class AnalyzerResult:
    """One answer of IAM Access Analyzer about one policy of the template."""

    check: str
    """ValidatePolicy, CheckNoNewAccess or CheckAccessNotGranted."""
    outcome: str
    """ValidatePolicy's finding type (ERROR, SECURITY_WARNING, WARNING, SUGGESTION), or a check's
    result (PASS, FAIL)."""
    resource: str
    resource_type: str
    policy: str
    kind: str
    policy_type: str
    issue_code: str = ""
    """ValidatePolicy's issue code; for CheckAccessNotGranted the critical access checked."""
    message: str = ""
    location: str = ""
    """Where in the policy document, as AWS says (``Statement[0].Action[1]``)."""
    line: int | None = None
    """The template line of that place (the policy's own line when AWS names no place)."""
    learn_more: str = ""
    against: str = ""
    """For CheckNoNewAccess: what the policy was compared with."""

    @property
    def passed(self) -> bool:
        return self.outcome == "PASS"

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"source": "IAM Access Analyzer"}


@dataclass(frozen=True)
class AccessAnalysis:
    """Every answer, the three checks' lines for the preflight, and what was called."""

    results: tuple[AnalyzerResult, ...]
    checks: tuple[PreflightCheck, ...]
    calls: dict[str, int] = field(default_factory=dict)
    reference: str = ""
    policies: int = 0

    @property
    def findings(self) -> list[AnalyzerResult]:
        """The answers that report something (every ValidatePolicy finding, every FAIL)."""
        return [r for r in self.results if not r.passed]

    def to_json(self) -> dict[str, Any]:
        return {"source": "IAM Access Analyzer", "policies": self.policies, "reference": self.reference,
                "calls": dict(self.calls), "billed_calls": sum(self.calls.get(a, 0) for a in BILLED),
                "results": [r.to_json() for r in self.results],
                "findings": [r.to_json() for r in self.findings]}


class _Stopped(Exception):
    """An action AWS refuses: the check that makes it stops, with this warning."""

    def __init__(self, check: PreflightCheck) -> None:
        super().__init__(check.detail)
        self.check = check


def analyse_policies(session: AwsSession, after: Evaluation, reference: Evaluation | None,
                     reference_label: str, *,
                     on_progress: Callable[[str], None] | None = None) -> AccessAnalysis:
    """Run the three checks on every policy document of ``after``; ``reference`` (None: there is
    none) is what CheckNoNewAccess compares each changed policy with."""
    report = on_progress or (lambda _line: None)
    documents = policy_documents(after)
    before = {d.key: d for d in policy_documents(reference)} if reference is not None else {}
    calls: dict[str, int] = {}
    results: list[AnalyzerResult] = []
    checks: list[PreflightCheck] = []

    def call(method: str, **params: Any) -> dict[str, Any]:
        action = _operation(method)
        calls[action] = calls.get(action, 0) + 1
        return session.call(SERVICE, method, **params)

    unreachable: list[str] = []

    def guarded(action: str, run: Callable[[], PreflightCheck]) -> PreflightCheck:
        """Once the endpoint did not answer one action, the others are not tried (each would wait
        for the whole deadline): a warning naming the action, and the one that found it so."""
        if unreachable:
            return warning(CHECK_NAMES[action], f"Could not check (access-analyzer:{action} not called): the "
                                                f"endpoint did not answer {unreachable[0]}.",
                           "Check the network, proxy and endpoint URL, or run without --access-analyzer.")
        return _guarded(action, run, unreachable)

    report(f"IAM Access Analyzer: validating {len(documents)} policies")
    checks.append(guarded(VALIDATE, lambda: _validate(session, after, documents, results, calls)))
    changed = [(d, before[d.key]) for d in documents
               if d.key in before and _text(d, after) != _text(before[d.key], reference)]
    if reference is None:
        checks.append(skipped(CHECK_NAMES[NO_NEW_ACCESS], "no reference to compare the policies with"))
    elif not changed:
        checks.append(passed(CHECK_NAMES[NO_NEW_ACCESS], f"no policy changed against {reference_label}"))
    else:
        report(f"IAM Access Analyzer: {len(changed)} changed policies against {reference_label}")
        checks.append(guarded(NO_NEW_ACCESS, lambda: _no_new_access(
            call, after, reference, changed, reference_label, results)))
    critical = settings().critical_access
    wanted = [(d, c) for d in documents for c in critical if d.kind in c.applies_to]
    report(f"IAM Access Analyzer: {len(wanted)} checks of critical access")
    checks.append(guarded(NOT_GRANTED, lambda: _not_granted(call, after, wanted, results)))
    return AccessAnalysis(tuple(results), tuple(checks), calls, reference_label if reference else "",
                          len(documents))


def _operation(method: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in method.split("_"))


def _text(document: PolicyDocument, evaluation: Evaluation | None) -> str:
    return document_text(document, evaluation) if evaluation is not None else ""


def _guarded(action: str, run: Callable[[], PreflightCheck], unreachable: list[str]) -> PreflightCheck:
    """The check's line; AWS refusing ``action`` is a warning naming it, never a crash (an endpoint
    that did not answer is added to ``unreachable``)."""
    name = CHECK_NAMES[action]
    iam = f"access-analyzer:{action}"
    try:
        return run()
    except AccessDenied as exc:
        return warning(name, f"Could not check ({iam} denied): {exc.message}",
                       f"Allow {iam} for the operator, or run without --access-analyzer.")
    except Throttled as exc:
        return warning(name, f"Could not check ({iam} throttled after retries): {exc.message}",
                       "Run the preflight again in a minute.")
    except EndpointUnreachable as exc:
        unreachable.append(iam)
        return warning(name, f"Could not check ({iam}: no answer): {exc.message}",
                       "Check the network, proxy and endpoint URL, or run without --access-analyzer.")
    except AwsError as exc:
        return warning(name, f"Could not check ({iam}): {exc.message}",
                       "Run the preflight again, or run without --access-analyzer.")


def _summary(action: str, results: list[AnalyzerResult], checked: int, what: str) -> PreflightCheck:
    mine = [r for r in results if r.check == action and not r.passed]
    name = CHECK_NAMES[action]
    if not mine:
        return passed(name, f"{checked} {what}: nothing reported")
    counts: dict[str, int] = {}
    for r in mine:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    tally = ", ".join(f"{n} {o}" for o, n in counts.items())
    first = mine[0]
    return warning(name, f"{checked} {what}: {tally}; first: {first.resource}/{first.policy} "
                         f"{first.issue_code or first.outcome} (line {first.line}): {first.message}",
                   "Read each in the findings (source: IAM Access Analyzer) and fix the policy it names.")


def _validate(session: AwsSession, after: Evaluation, documents: list[PolicyDocument],
              results: list[AnalyzerResult], calls: dict[str, int]) -> PreflightCheck:
    for document in documents:
        params: dict[str, Any] = {"policyDocument": document_text(document, after),
                                  "policyType": document.policy_type}
        resource_type = document.validate_resource_type()
        if resource_type:
            params["validatePolicyResourceType"] = resource_type
        calls[VALIDATE] = calls.get(VALIDATE, 0) + 1
        try:
            pages = list(session.pages(SERVICE, "validate_policy", **params))
        except RequestInvalid as exc:
            results.append(_result(VALIDATE, "ERROR", document, issue_code="NOT_READ",
                                   message=f"AWS could not read the document: {exc.aws_message}"))
            continue
        calls[VALIDATE] += max(len(pages) - 1, 0)
        for page in pages:
            for found in page.get("findings") or []:
                location = (found.get("locations") or [{}])[0]
                steps = location.get("path") or []
                results.append(_result(
                    VALIDATE, str(found.get("findingType", "")), document,
                    issue_code=str(found.get("issueCode", "")), message=str(found.get("findingDetails", "")),
                    location=_location_text(steps), line=_line(after, document, _template_steps(steps)),
                    learn_more=str(found.get("learnMoreLink", ""))))
    return _summary(VALIDATE, results, len(documents), "policies validated")


def _no_new_access(call, after: Evaluation, reference: Evaluation,
                   changed: list[tuple[PolicyDocument, PolicyDocument]], label: str,
                   results: list[AnalyzerResult]) -> PreflightCheck:
    for document, old in changed:
        try:
            answer = call("check_no_new_access", newPolicyDocument=document_text(document, after),
                          existingPolicyDocument=document_text(old, reference), policyType=document.policy_type)
        except RequestInvalid as exc:
            results.append(_result(NO_NEW_ACCESS, "FAIL", document, issue_code="NOT_READ", against=label,
                                   message=f"AWS could not compare the documents: {exc.aws_message}"))
            continue
        results += _check_results(NO_NEW_ACCESS, answer, document, after, against=label)
    return _summary(NO_NEW_ACCESS, results, len(changed), f"changed policies compared with {label}")


def _not_granted(call, after: Evaluation, wanted: list, results: list[AnalyzerResult]) -> PreflightCheck:
    for document, critical in wanted:
        partition = after.pseudo.partition
        access: dict[str, Any] = {"actions": list(critical.actions)}
        if critical.resources:
            access["resources"] = [r.format(partition=partition) for r in critical.resources]
        try:
            answer = call("check_access_not_granted", policyDocument=document_text(document, after),
                          access=[access], policyType=document.policy_type)
        except RequestInvalid as exc:
            results.append(_result(NOT_GRANTED, "FAIL", document, issue_code=critical.id,
                                   message=f"AWS could not check the document: {exc.aws_message}"))
            continue
        results += _check_results(NOT_GRANTED, answer, document, after, issue_code=critical.id,
                                  title=critical.title)
    return _summary(NOT_GRANTED, results, len(wanted), "checks of critical access")


def _check_results(action: str, answer: dict[str, Any], document: PolicyDocument, after: Evaluation, *,
                   issue_code: str = "", title: str = "", against: str = "") -> list[AnalyzerResult]:
    outcome = str(answer.get("result", ""))
    message = str(answer.get("message", ""))
    if title:
        message = f"{title}: {message}" if message else title
    reasons = answer.get("reasons") or [] if outcome != "PASS" else []
    if not reasons:
        return [_result(action, outcome, document, issue_code=issue_code or ("NEW_ACCESS" if outcome == "FAIL" else ""),
                        message=message, against=against)]
    found = []
    for reason in reasons:
        index = reason.get("statementIndex")
        steps = ["Statement", index] if isinstance(index, int) else []
        detail = str(reason.get("description", ""))
        found.append(_result(action, outcome, document, issue_code=issue_code or "NEW_ACCESS",
                             message=f"{message} {detail}".strip(),
                             location=f"Statement[{index}]" if isinstance(index, int) else "",
                             line=_line(after, document, steps), against=against))
    return found


def _result(action: str, outcome: str, document: PolicyDocument, *, issue_code: str = "", message: str = "",
            location: str = "", line: int | None = None, learn_more: str = "", against: str = "") -> AnalyzerResult:
    return AnalyzerResult(action, outcome, document.resource, document.resource_type, document.name, document.kind,
                          document.policy_type, issue_code, " ".join(message.split()), location,
                          line if line is not None else document.line, learn_more, against)


def _template_steps(path: Iterable[dict]) -> list[Any]:
    """AWS's path in the document as keys and indexes into the template (a substring: its value)."""
    steps: list[Any] = []
    for element in path:
        if "index" in element:
            steps.append(element["index"])
        elif "value" in element:
            steps.append(element["value"])
        elif "key" in element:
            steps.append(element["key"])
        else:
            break
    return steps


def _location_text(path: Iterable[dict]) -> str:
    text = ""
    for element in path:
        if "index" in element:
            text += f"[{element['index']}]"
        elif "value" in element or "key" in element:
            text += ("." if text else "") + str(element.get("value", element.get("key")))
    return text


def _line(evaluation: Evaluation, document: PolicyDocument, steps: list[Any]) -> int | None:
    """The template line of a place in a document; a single statement written without a list
    (``Statement: {...}``) is AWS's ``Statement[0]``."""
    line = evaluation.template.line_of(*document.path, *steps)
    if steps[:2] and steps[0] == "Statement" and isinstance(evaluation.template.node_at(*document.path, "Statement"),
                                                            dict):
        line = evaluation.template.line_of(*document.path, "Statement", *steps[2:])
    return line if line is not None else document.line


def render_results(analysis: AccessAnalysis) -> list[str]:
    """One line a finding, for the text summary and the preflight's printout."""
    return [f"  {r.check} {r.outcome}{' ' + r.issue_code if r.issue_code else ''}: {r.resource}/{r.policy} "
            f"({r.kind}{', ' + r.location if r.location else ''}, line {r.line}): {r.message}"
            for r in analysis.findings]



@dataclass(frozen=True)
class PolicyCheckRequest:
    """What the preflight needs to run the checks: the template to deploy and its parameter values,
    and the reference a changed policy is compared with when no stack is deployed yet (the
    vendor's template, or the same template with the baseline's values), with its label."""

    template: Any
    values: dict[str, str]
    fallback_template: Any = None
    fallback_values: dict[str, str] = field(default_factory=dict)
    fallback_label: str = ""


def run_policy_checks(session: AwsSession, request: PolicyCheckRequest, stack: Any, *, stack_name: str,
                      account: str, on_progress: Callable[[str], None] | None = None) -> AccessAnalysis:
    """The checks for the real stack, region and account: CheckNoNewAccess compares with the deployed
    stack (``stack``, a ``StackState`` that exists) or with the request's fallback."""
    from wizard.aws.security import deployed_template, evaluate_deployed, planned_evaluation

    after = planned_evaluation(request.template, request.values, stack_name, session.region, account)
    reference, label = None, ""
    if stack is not None and stack.change_set_type == "UPDATE":
        try:
            body = deployed_template(session, stack_name)
        except AwsError:
            body = None
        reference, label = evaluate_deployed(body, stack, request.template, request.values, after.pseudo)
    elif request.fallback_template is not None:
        reference = planned_evaluation(request.fallback_template, request.fallback_values, stack_name,
                                       session.region, account)
        label = request.fallback_label
    return analyse_policies(session, after, reference, label, on_progress=on_progress)
