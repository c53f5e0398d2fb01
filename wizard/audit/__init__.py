"""Day two: what the running stack really grants, compared with what its template says.

Everything quilt-wizard shows before a deployment is a prediction. After it, the account holds
the truth: the policies CloudFormation created, whatever drifted since, and the IAM policies
the application (or an approver) created and versioned at run time under
``/quilt/<stack>/<region>/``. This package takes a snapshot of that truth (:mod:`.holdings`,
filled by ``wizard.aws.deployed``), predicts the same stack from its deployed template and
parameters (:mod:`.expected`), compares the two statement by statement (:mod:`.statements`),
judges every run-time statement against the envelope the deployment chose (:mod:`.envelope`:
the bucket prefix, the Athena workgroups, the guardrail, what a placeholder was meant to
hold, the path) and turns the verdicts into findings with controls (:mod:`.rules`) and a
report's content (:mod:`.document`). :func:`.verdict.audit` puts it together. With manual
approval, :mod:`.approval` works out what an approver writes when a bucket is connected, judged
against the same envelope.

It reads ``wizard.findings``, ``wizard.iam`` and ``wizard.cfn``. It must not import
``wizard.aws`` (nothing here talks to AWS; the snapshot is handed in), ``wizard.flow``,
``wizard.commands`` or the UI; ``wizard.aws.deployed`` imports only :mod:`.holdings`.
"""
