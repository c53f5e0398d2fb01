"""quilt-wizard's core, in layers that only import downwards.

- ``wizard.cfn``: reading and evaluating CloudFormation templates;
- ``wizard.iam``: the IAM and network model of an evaluated template, and the semantic diff;
- ``wizard.findings``: security findings mapped to compliance controls;
- ``wizard.flow``: the wizard itself (questions, answers, profiles, parameter files, report);
- ``wizard.aws``: every AWS call (preflight, change sets), beside the flow;
- ``wizard.commands``: the command line's subcommands, on top.

The modules at this level (``errors``, ``paths``, ``atomic``, ``schemas``) are shared by all
layers. The core must not import Textual or the ``screens`` package; the Textual face,
the line prompts and the headless run all read the same objects computed here. Contracts in
``pyproject.toml`` (run by the test suite) keep both rules.
"""

__version__ = "0.1.0"
