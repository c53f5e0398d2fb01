"""Many accounts from one profile: the plan of a CloudFormation StackSets deployment.

A profile's shared answers are the stack set's parameters; its ``accounts:`` section gives each
account's overrides (the stack instances' ``ParameterOverrides``). :mod:`.plan` decides, without
AWS, what every instance (account and region) runs: the same layering, validation and checks as a
single run (``wizard.flow.headless.plan_deployment`` for that account and region), the overrides
each instance needs against the stack set's values, the calls that carry them (accounts sharing
the same overrides in one call) and the permission diff of each instance against the fleet's
base, so an account whose overrides broaden access stands out before anything is deployed.
:mod:`.status` compares what a stack set's instances run with what the profile says they should,
and :mod:`.text` renders both for a terminal.

AWS's own engine does the multi-account orchestration; nothing here re-implements it.

It sits on ``wizard.flow``, ``wizard.overlay``, ``wizard.iam`` and ``wizard.cfn`` and must not import ``wizard.aws``
(or boto3), ``wizard.commands`` or the UI: the command reads the stack set through ``wizard.aws``
and hands plain records to :mod:`.status`.
"""
