"""The ``quilt-wizard`` command line: one entry point for the three faces and the analyses.

With no subcommand it opens the Textual wizard; ``--plain`` asks the same questions as line
prompts; ``--answers FILE`` runs headless. Subcommands analyse any CloudFormation template.
Errors the user can cause are printed as one line with their exit status (2 bad input,
1 a policy gate, 3 an AWS call); a traceback means a bug.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import signal
import sys
import threading
from typing import Iterator, Sequence

from wizard import __version__
from wizard.errors import WizardError

#: Each analysis command and its one-line help, in the order ``--help`` lists them. A command's
#: module (``wizard.commands.NAME``) is imported only when that command runs: ``grants`` should not
#: pay for the imports of ``audit``. A test checks these lines against each module's own.
_SUBCOMMANDS = {
    "render": "print the evaluated template",
    "grants": "list the IAM grants and network openings a template creates",
    "diff": "compare the grants and network openings of two parameter sets",
    "profiles": "list, show, save or delete profiles (reusable answers across accounts)",
    "report": "write the security report (Markdown and HTML) for a template",
    "harden": "add the promised security options to a vendor template",
    "audit": "compare a deployed stack's IAM with its template and judge run-time policies",
    "approve": "manual approval: write the IAM policies a connected bucket needs, after review",
    "fleet": "one profile, many accounts: plan, deploy and follow a CloudFormation stack set",
    "status": "a stack's status, first failure, events and outputs; --follow watches it to the end",
}


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, as wide as argparse makes it (the terminal's width less two,
    ``COLUMNS`` first, 80 when there is no terminal), without importing ``shutil`` (and the
    compression modules it brings) for every parser: reading a command line never needs them."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _terminal_columns() - 2 if width is None else width)


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, as it works it out."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
        except (AttributeError, ValueError, OSError):
            columns = 80
    return columns


class _Parser(argparse.ArgumentParser):
    """The parsers of the command line (the main one and, as its class, every subcommand's):
    laid out by ``_Formatter`` unless told otherwise."""

    #: The main parser built for a subcommand leaves the default command's options out; its usage,
    #: help and errors add them first, so that they read as the whole command line's.
    pending_default = False

    def __init__(self, *args, formatter_class: type = _Formatter, **kwargs) -> None:
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def format_usage(self) -> str:
        if self.pending_default:
            _add_default_command(self)
        return super().format_usage()

    def format_help(self) -> str:
        if self.pending_default:
            _add_default_command(self)
        return super().format_help()


def _add_default_command(parser: "_Parser") -> None:
    """The default command's options (the wizard, ``--plain``, ``--answers``) and handler."""
    import importlib

    parser.pending_default = False
    deploy = importlib.import_module("wizard.commands.deploy")
    deploy.add_options(parser)
    parser.set_defaults(handler=deploy.run)


class _Placeholder:
    """Stands for a subcommand's parser in the list of choices until that subcommand is chosen."""

    def __init__(self, name: str) -> None:
        self.name = name


class _LazySubcommands(argparse._SubParsersAction):
    """Subcommands listed by name and help (no parser built for them); the chosen one's module
    registers its real parser when it is selected, in the place of its placeholder."""

    def register_placeholders(self) -> None:
        for name, summary in _SUBCOMMANDS.items():
            self._choices_actions.append(self._ChoicesPseudoAction(name, (), summary))
            self._name_parser_map[name] = _Placeholder(name)

    def load(self, name: str) -> None:
        """Replace ``name``'s placeholder by the parser its module registers."""
        import importlib

        if not isinstance(self._name_parser_map[name], _Placeholder):
            return
        order = list(self._name_parser_map)
        index = next(i for i, choice in enumerate(self._choices_actions) if choice.dest == name)
        del self._name_parser_map[name]
        del self._choices_actions[index]
        importlib.import_module(f"wizard.commands.{name}").register(self)
        self._choices_actions.insert(index, self._choices_actions.pop())
        parsers = dict(self._name_parser_map)
        self._name_parser_map.clear()
        self._name_parser_map.update((key, parsers[key]) for key in order)

    def __call__(self, parser, namespace, values, option_string=None):
        if values and values[0] in _SUBCOMMANDS:
            self.load(values[0])
        super().__call__(parser, namespace, values, option_string)


def build_parser(every: bool = False, argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; a subcommand's own parser is built when it is chosen (or at once,
    ``every``). With ``argv`` naming a subcommand first, the default command's options are left
    out: nothing after a subcommand's name can be one of them."""
    import importlib

    parser = _Parser(
        prog="quilt-wizard",
        description="Deploy the Quilt CloudFormation stack with eyes open: every choice shows the "
                    "IAM permissions and network openings it adds or removes.",
        epilog="Exit status: 0 success, 1 a policy gate tripped, 2 bad input, 3 an AWS call failed.",
        # No abbreviations here: a subcommand's option (report's --fail-on) must never be read
        # as a prefix of the wizard's own (--fail-on-broadening, --fail-on-weakening).
        allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    if every or not argv or argv[0] not in _SUBCOMMANDS:
        _add_default_command(parser)
    else:
        parser.pending_default = True
    parser.register("action", "lazy_parsers", _LazySubcommands)
    subparsers = parser.add_subparsers(title="analysis commands", metavar="COMMAND", action="lazy_parsers",
                                       dest="subcommand")
    subparsers.register_placeholders()
    if every:
        for name in _SUBCOMMANDS:
            subparsers.load(name)
    return parser


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[list]:
    """Hold Ctrl-C while modules are imported (Python turns an interrupt in the middle of a
    class definition into a RuntimeError); the list says whether one came."""
    received: list = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``exc`` is, or was caused by, an exception of ``kind``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was caused by, a Ctrl-C."""
    return _caused_by(exc, KeyboardInterrupt)


PIPE_CLOSED = 128 + 13
"""The exit status when standard output's reader went away (``| head``): what a shell reports for a
program that SIGPIPE ended, as ``yes | head`` does."""


def _stdout_closed() -> int:
    """Stop quietly once nobody reads standard output: point it at the null device (Python's
    documented recipe), so the interpreter's last flush has somewhere to go and prints nothing."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no file descriptor behind sys.stdout
        pass
    return PIPE_CLOSED


def _take_over_interrupts() -> None:
    """Ctrl-C is ``main``'s to handle from here (KeyboardInterrupt: one line, exit 130, or what the
    command makes of it, such as ``status --follow``'s way back): the quiet exit that guarded the
    command's start (:func:`wizard.interrupted_while_starting`) gives way to Python's own."""
    import wizard

    if threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGINT) is wizard.interrupted_while_starting:
        signal.signal(signal.SIGINT, signal.default_int_handler)


#: The subcommands whose run is one bounded analysis in this process (no AWS call, no waiting).
_BOUNDED = frozenset({"render", "grants", "diff", "report", "harden"})


def bounded(args: argparse.Namespace) -> bool:
    """Whether the chosen run is one bounded computation: an analysis subcommand, or a headless
    run that calls no AWS. The wizard, the prompts and every command that talks to AWS or
    follows a stack are not: they may run for minutes."""
    if args.subcommand is not None:
        return args.subcommand in _BOUNDED
    return bool(args.answers) and not args.plain and not (args.preflight or args.create_change_set)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Reading the command line and importing its modules only adds objects that stay, so the
    cyclic garbage collector is held meanwhile. A bounded run (``bounded``: an analysis, a
    headless run without AWS) keeps it held to the end: it would walk the template, the catalogs
    and the modules again and again and free next to nothing. Any other run has it back once its
    command is chosen. The caller's state is restored on return."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _main(argv, collecting)
    finally:
        if argv is None and not gc.isenabled():
            # This process ends with the command (the console script, ``python -m wizard``) and
            # the system takes its memory back whole: what the run made is set aside from the
            # collector, so that neither its next walk nor the interpreter's last ones at exit go
            # over it again (more than a tenth of a warm ``grants`` run).
            gc.freeze()
        if collecting:
            gc.enable()


def _main(argv: Sequence[str] | None, collecting: bool) -> int:
    """``main``'s run; ``collecting``: whether the collector is to resume for a run not bounded."""
    try:
        _take_over_interrupts()  # inside the handling: a Ctrl-C right after it is one line too
        with interrupts_deferred() as received:
            parser = build_parser(argv=sys.argv[1:] if argv is None else argv)
        if received:
            raise KeyboardInterrupt
        args = parser.parse_args(argv)
        if collecting and not bounded(args):
            gc.enable()
        status = args.handler(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a reader gone away shows here, not in the interpreter's last flush
        return status
    except BrokenPipeError:
        return _stdout_closed()
    except WizardError as exc:
        print(f"quilt-wizard: {exc}", file=sys.stderr)
        return exc.exit_code
    except RecursionError:
        print("quilt-wizard: the input is nested too deeply to be read", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("quilt-wizard: interrupted; nothing was written", file=sys.stderr)
        return 130
    except Exception as exc:
        if _caused_by(exc, BrokenPipeError):
            return _stdout_closed()
        if not _interrupted(exc):
            raise
        print("quilt-wizard: interrupted; nothing was written", file=sys.stderr)
        return 130
