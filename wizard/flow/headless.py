"""The headless run: answers in, parameter file(s) and a summary out, for CI.

Three parts, each in its own module, all reached from here as every face always has:

- the plan (``wizard.flow.headless_plan``): the layers, the validated parameter values, the
  baseline, the phases and their diffs, the hardening of a vendor template, the findings;
- the files (``wizard.flow.headless_write``): each phase's parameter file and the hardened
  template, written atomically once everything is checked;
- the terminal text (``wizard.flow.terminal``): the summary a person reads after the run.
"""

from __future__ import annotations

from wizard.flow.headless_plan import (DEFAULT_BASELINE, Deployment, Phase, account_gaps, baseline_values,
                                       changes, check_rules, deployed_values, findings_for, hardened_for,
                                       layers_for, phase_findings, phase_one, plan_arguments, plan_deployment,
                                       unmet_recommendations)
from wizard.flow.headless_write import exposures, file_values, template_file, write_deployment
from wizard.flow.stack import pseudo_for, template_for
from wizard.flow.terminal import answer_lines, approval_lines, hardening_lines, summary_text

__all__ = ["DEFAULT_BASELINE", "Deployment", "Phase", "account_gaps", "answer_lines", "approval_lines",
           "baseline_values", "changes", "check_rules", "deployed_values", "exposures", "file_values",
           "findings_for", "hardened_for", "hardening_lines", "layers_for", "phase_findings", "phase_one",
           "plan_arguments", "plan_deployment", "pseudo_for", "summary_text", "template_file", "template_for",
           "unmet_recommendations", "write_deployment"]
