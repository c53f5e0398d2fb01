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

# Ctrl-C while the ``quilt-wizard`` command starts: exit 130 with one line, never a traceback from
# whatever import it lands in. This is the first thing the command runs (the console script imports
# ``wizard.cli``, which runs this file first); ``wizard.cli.main`` hands Ctrl-C back to Python once
# it handles it itself. ``_signal`` is what ``signal`` wraps, without ``signal``'s milliseconds of
# imports. Imported as a library (tests, ``python -m wizard``), nothing changes here.
import _signal
import os as _os
import sys as _sys


def interrupted_while_starting(signum: int, frame: object) -> None:
    """The SIGINT handler while the command starts: one line, exit 130, at once."""
    try:
        _os.write(2, b"quilt-wizard: interrupted; nothing was written\n")
    finally:
        _os._exit(130)


if getattr(_sys, "argv", None) and _os.path.basename(_sys.argv[0]).removesuffix(".exe") == "quilt-wizard" \
        and _signal.getsignal(_signal.SIGINT) != _signal.SIG_IGN:  # started with Ctrl-C ignored: it stays so
    _signal.signal(_signal.SIGINT, interrupted_while_starting)

__version__ = "0.1.0"
