"""AWS's findings beside ours: what IAM Access Analyzer reported in the preflight, as ``Finding`` records.

The preflight's ``--access-analyzer`` step (``wizard.aws.access_analyzer``) records each answer
of AWS about one policy of the template: the check (ValidatePolicy, CheckNoNewAccess,
CheckAccessNotGranted), the finding type or result, the issue code, where in the document and
on which template line. This module turns those records (the preflight report's JSON, so that
it needs nothing of the AWS package) into findings marked as AWS's (``source``), with a severity
from ``assets/access-analyzer.yaml``, so that the summary, ``--json`` and the security report
list them with the rest and a reader sees whose verdict each one is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wizard.findings.model import Finding
from wizard.iam.policy_documents import settings

SOURCE = "IAM Access Analyzer"
RULE_PREFIX = "AWS-AA-"

_WHY = {
    "ValidatePolicy": "IAM Access Analyzer's policy validation (AWS's own grammar and best-practice checks) "
                      "reported this about the policy as it will be deployed.",
    "CheckNoNewAccess": "IAM Access Analyzer found that the policy allows access its reference version ({against}) "
                        "does not: the change broadens what it grants.",
    "CheckAccessNotGranted": "IAM Access Analyzer found that the policy grants access on the list of critical "
                             "actions no policy of this stack should give.",
}


def analyzer_findings(preflight: Any) -> list[Finding]:
    """The Access Analyzer findings of a preflight report (its JSON, the report itself, or None)."""
    if preflight is None:
        return []
    if hasattr(preflight, "to_json"):
        preflight = preflight.to_json()
    if not isinstance(preflight, Mapping):
        return []
    analysis = preflight.get("access_analyzer")
    if not isinstance(analysis, Mapping):
        return []
    found = [_finding(r) for r in analysis.get("findings") or () if isinstance(r, Mapping)]
    found.sort(key=lambda f: (-f.rank, f.lines[0] if f.lines else 0, f.rule_id))
    return found


def _finding(result: Mapping[str, Any]) -> Finding:
    check = str(result.get("check", ""))
    outcome = str(result.get("outcome", ""))
    code = str(result.get("issue_code") or "")
    severities = settings().severities
    severity = severities.get(outcome if check == "ValidatePolicy" else check, "medium")
    subject = f"{result.get('resource')}/{result.get('policy')}"
    where = f" at {result['location']}" if result.get("location") else ""
    message = f"{check} {outcome}{' ' + code if code else ''} ({result.get('kind')} policy{where}): " \
              f"{result.get('message') or 'no detail given'}"
    link = str(result.get("learn_more") or "")
    fix = (f"Read AWS's explanation ({link}) and correct the statement on the line given." if link
           else "Correct the statement on the line given, then run the preflight with --access-analyzer again.")
    facts = (("source", SOURCE), ("check", check), ("finding_type", outcome), ("issue_code", code),
             ("policy_type", str(result.get("policy_type", ""))), ("location", str(result.get("location") or "")))
    line = result.get("line")
    return Finding(rule_id=RULE_PREFIX + (code or outcome), severity=severity,
                   title=f"{SOURCE}: {check} {outcome}" + (f" {code}" if code else ""),
                   why=_WHY.get(check, "").format(against=result.get("against") or "the reference"),
                   fix=fix, subject=subject, message=message, category="aws",
                   resources=(str(result.get("resource")),), lines=(line,) if isinstance(line, int) else (),
                   facts=facts, source=SOURCE)
