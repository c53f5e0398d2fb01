"""The command line's subcommands, one module each.

Each module has ``register(subparsers)``, which adds its parser and sets ``run`` as the
parser's default ``handler``; ``run(args)`` returns the exit status.
"""
