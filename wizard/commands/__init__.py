"""The command line's subcommands, one module each.

Each module has ``register(subparsers)``, which adds its parser and sets ``run`` as the
parser's default ``handler``; ``run(args)`` returns the exit status. ``aws_steps`` and
``fleet_deploy`` are no commands: they hold the AWS steps a command shares with the wizard's
screens, so that both faces run one implementation.

Commands parse arguments, call the core and print; the rules they apply live below them
(``wizard.flow``, ``wizard.aws``, ``wizard.findings``, ``wizard.iam``, ``wizard.cfn``). Nothing
in the core imports this package, and it never imports Textual or ``screens``.
"""
