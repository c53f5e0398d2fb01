"""The headless run's files: the parameter file of each phase and the hardened template beside them.

Written atomically, never over an existing file without ``force`` (which keeps ``PATH.bak``), and
only once every file of the run has been checked, so a refusal leaves nothing half-written. The
plan (``wizard.flow.headless_plan``) decided what goes in them.
"""

from __future__ import annotations

from pathlib import Path

from wizard.atomic import check_output, write_output
from wizard.cfn.parameters import ParameterValues
from wizard.errors import InputError
from wizard.flow.headless_plan import Deployment
from wizard.flow.paramfile import render_parameter_file


def file_values(values: ParameterValues) -> dict[str, str]:
    """What a parameter file carries: every parameter, in template order."""
    return {name: values.raw[name] for name in values.specs if name in values.raw}


def template_file(deployment: Deployment) -> str:
    """The template to deploy, as the parameter file names it (the ``tfvars`` format): the
    hardened one written beside the parameter file when there is one, else the template read;
    relative to the parameter file's folder when it is inside it."""
    beside = deployment.template_path  # the hardened template, when the overlay wrote one
    chosen = Path(beside or deployment.template.source).resolve()
    folder = deployment.phases[0].path.resolve().parent
    return str(chosen.relative_to(folder)) if chosen.is_relative_to(folder) else str(chosen)


def write_deployment(deployment: Deployment, *, force: bool = False) -> list[Path]:
    """Write every phase's parameter file, and the hardened template beside the first when the
    overlay was applied; refuse to overwrite unless ``force`` (keeping .bak)."""
    texts = []
    beside = deployment.template_path
    if beside is not None:
        check_output(beside, force=force)
    for phase in deployment.phases:
        check_output(phase.path, force=force)
        texts.append((phase, render_parameter_file(
            file_values(phase.values), deployment.fmt, deployment.tags, template_file=template_file(deployment),
            secrets=frozenset(name for name, spec in phase.values.specs.items() if spec.no_echo))))
    written = []
    for phase, text in texts:
        secret = any(spec.no_echo and phase.values.raw.get(name) for name, spec in phase.values.specs.items())
        try:
            write_output(phase.path, text, mode=0o600 if secret else 0o644, force=force)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", file=str(phase.path)) from None
        written.append(phase.path)
    if beside is not None:
        try:
            write_output(beside, deployment.hardening.text, force=force)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", file=str(beside)) from None
        written.append(beside)
    return written


def exposures(deployment: Deployment) -> list[str]:
    """A warning for each file that holds a NoEcho value in plaintext and lands, not ignored, in
    a git work tree (``wizard.flow.worktree``, read only when a file holds one: it starts git)."""
    found = []
    for phase in deployment.phases:
        values = phase.values
        secrets = [name for name, spec in values.specs.items() if spec.no_echo and values.raw.get(name)]
        if not secrets:
            continue
        from wizard.flow.worktree import exposure

        warning = exposure(phase.path, secrets)
        if warning:
            found.append(warning)
    return found
