"""No value in the security report is cut: every action, ARN and condition of the analysed grants
appears whole in the Markdown and the HTML, and no ellipsis stands for part of a value.

The report is written by ``quilt-wizard report --answers`` in enterprise mode, on the vendor's
template (hardened, so the report leads with what each option changes) and on the embedded one.
The grants are read from the engine, never from the report's text.
"""

from __future__ import annotations

import html
import re

import yaml

from tests.conftest import REAL_REQUIRED
from tests.unit.findings.test_embedded_model import REQUIRED
from wizard.cli import main
from wizard.flow.report import REPORT_HTML, REPORT_MD

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ENTERPRISE = {"bucket_scope": "acme-quilt-", "athena_scope": "primary,analytics", "cloudtrail_kms": KEY}
ELLIPSIS = re.compile(r"\.\.\.|…")
ACTION = re.compile(r"(?<![\w:-])[a-z0-9-]+:[A-Za-z0-9*?]+")
ARN = re.compile(r"arn:[^\s,\"'`|<>()\[\]\\]+")


def _answers(tmp_path, parameters: dict) -> str:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "mode": "enterprise", "stack": {"name": "quilt", "region": "us-east-1",
                                                     "account_id": "123456789012"},
        "answers": ENTERPRISE, "parameters": parameters}))
    return str(path)


def _deployment(answers: str, template: str | None):
    from wizard.flow.answers import load_answers_file
    from wizard.flow.headless import plan_arguments, plan_deployment

    return plan_deployment(**plan_arguments(load_answers_file(answers), template=template), require_complete=False)


def _markdown_text(markdown: str) -> str:
    """What a reader of the Markdown sees: the renderer's escapes taken off."""
    return re.sub(r"\\([\\*\[\]`_#>|])", r"\1", markdown).replace("&lt;", "<")


def _html_text(document: str) -> str:
    """What a reader of the HTML sees: tags taken off, entities read; a label the drawing wraps
    over several lines read as one."""
    document = re.sub(r"</tspan>\s*<tspan[^>]*>", "", document)
    return html.unescape(re.sub(r"<[^>]+>", " ", document))


def _values(grants) -> tuple[set[str], set[str], set[str]]:
    """(actions, ARNs, condition operators, keys and values) of these grants."""
    actions, arns, conditions = set(), set(), set()
    for grant in grants:
        actions |= set(grant.actions) | set(grant.not_actions)
        arns |= {r for r in (*grant.resources, *grant.not_resources, grant.attachment or "") if r.startswith("arn:")}
        for operator, pairs in grant.condition.items():
            conditions.add(operator)
            for key, value in pairs.items():
                conditions.add(key)
                values = value if isinstance(value, list) else [value]
                conditions |= {str(v) for v in values}
    return actions, arns, conditions


def _cut_tokens(text: str, pattern: re.Pattern, whole: set[str]) -> list[str]:
    """Tokens of the text that are the beginning of a known value but neither a value of the
    grants nor an IAM action of their own (``iam:SetDef`` for ``iam:SetDefaultPolicyVersion``)."""
    from wizard.iam.actions import access_level

    found = set()
    for token in pattern.findall(text):
        token = token.rstrip(".:;")
        if (token not in whole and any(value.startswith(token) and value != token for value in whole)
                and access_level(token) is None):
            found.add(token)
    return sorted(found)


def _check(out, grants, deployment, changed=()) -> None:
    markdown = (out / REPORT_MD).read_text()
    document = (out / REPORT_HTML).read_text()
    actions, arns, conditions = _values(grants)
    changed_actions, changed_arns, changed_conditions = _values(changed)
    for name, text in (("Markdown", _markdown_text(markdown)), ("HTML", _html_text(document))):
        assert not ELLIPSIS.findall(text), f"{name}: an ellipsis in the report"
        for value in sorted(actions | arns | conditions | changed_actions | changed_arns | changed_conditions):
            assert value in text, f"{name}: {value!r} is not in the report whole"
        assert not _cut_tokens(text, ACTION, actions | changed_actions), name
        given = {v for value in deployment.values.raw.values() for v in str(value).split(",")}
        assert not _cut_tokens(text, ARN, arns | changed_arns | given), name
    if changed:  # what the options change is listed whole where it is discussed, not only in the policies
        lead = _markdown_text(markdown.split("## The vendor's four questions")[0])
        appendix = _markdown_text(markdown.partition("## Appendix: every change of the chosen options")[2])
        for value in sorted(changed_actions | changed_arns | changed_conditions):
            assert value in lead + appendix, f"{value!r} is missing from what the options change"


def test_the_report_on_the_vendor_template_in_enterprise_mode_cuts_no_value(real_template_path, tmp_path):
    from wizard.iam.analysis import analyse
    from wizard.overlay.effects import option_effects

    answers = _answers(tmp_path, dict(REAL_REQUIRED))
    out = tmp_path / "report"
    assert main(["report", "--answers", answers, "--template", str(real_template_path), "--out", str(out)]) == 0
    deployment = _deployment(answers, str(real_template_path))
    assert deployment.hardening is not None
    grants = analyse(deployment.template, deployment.values.raw, deployment.pseudo).grants
    effects = option_effects(deployment.hardening, deployment.values.raw, deployment.pseudo)
    changed = [c.grant for e in effects for c in (*e.diff.added, *e.diff.removed)]
    assert len(changed) > 16  # more than the lead shows inline: the appendix holds the rest
    _check(out, grants, deployment, changed)


def test_the_report_on_the_embedded_template_cuts_no_value(tmp_path):
    from wizard.iam.analysis import analyse

    answers = _answers(tmp_path, dict(REQUIRED))
    out = tmp_path / "report"
    assert main(["report", "--answers", answers, "--out", str(out)]) == 0
    deployment = _deployment(answers, None)
    grants = analyse(deployment.template, deployment.values.raw, deployment.pseudo).grants
    assert any(g.condition for g in grants)
    _check(out, grants, deployment)
