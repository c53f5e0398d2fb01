"""The fleet's plan, its instances after a deployment and its status, as text for a terminal.

An account whose overrides broaden (or weaken) access, and an instance that runs something other
than its profile says, must stand out at a glance: they are marked ``!`` and painted, and their
permission diff or differing parameters follow the table.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from wizard.fleet.plan import FleetPlan, Instance
from wizard.fleet.status import FleetStatus
from wizard.flow.terminal import Painter, diff_text


def table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Rows of cells in aligned columns (the first row is the heading)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def counted(n: int, word: str) -> str:
    """``1 account``, ``2 accounts``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def verdict(instance: Instance) -> str:
    if instance.broadening and instance.weakening:
        return "BROADENING, WEAKENING"
    if instance.broadening:
        return "BROADENING"
    if instance.weakening:
        return "WEAKENING"
    return "no change" if instance.diff.empty else "not broadening"


def _assignments(values: Mapping[str, str], shared: Iterable[str], paint: Painter) -> list[str]:
    """``Name = value`` lines, an override of a shared value marked ``*``."""
    shared = set(shared)
    lines = []
    for name, value in values.items():
        value = value if value != "" else "(empty)"
        if name in shared:
            lines.append("    " + paint(f"* {name} = {value}", "yellow"))
        else:
            lines.append(f"      {name} = {value}")
    return lines


def plan_text(plan: FleetPlan, colour: bool = False) -> str:
    """The stack set's parameters, one row an instance, each instance's overrides, the diffs that
    matter and the calls that will be made."""
    paint = Painter(colour)
    shared = [n for n in plan.parameters if n not in plan.per_account]
    lines = [paint(f"Fleet of profile {plan.profile.name}: {counted(len(plan.instances), 'stack instance')} in "
                   f"{counted(len(plan.accounts), 'account')} and {counted(len(plan.regions), 'region')}", "bold"),
             f"Template: {plan.template.source}"]
    if plan.hardening is not None:
        lines.append(f"  hardened (the stack set deploys this one): adds {', '.join(plan.hardening.added_parameters)}")
        lines += [paint(f"  {line}", "dim") for line in (*plan.hardening.warnings, *plan.hardening.notes)]
    lines.append("")
    explicit = {n: v for n, v in plan.shown_parameters().items()
                if n in plan.per_account or plan.template.parameters[n].default != plan.parameters[n]}
    lines.append(paint(f"Stack set parameters ({len(plan.parameters)}; those not at the template's default)", "bold"))
    width = max((len(n) for n in explicit), default=0)
    for name, value in explicit.items():
        shown = paint("(each account's own)", "dim") if name in plan.per_account else value
        lines.append(f"  {name:<{width}}  {shown}")
    lines.append("")
    lines.append(paint("Instances (against the fleet's base: the profile's shared answers)", "bold"))
    rows = [("", "ACCOUNT", "REGION", "OVERRIDES", "OF SHARED VALUES", "VERDICT")]
    for instance in plan.instances:
        of_shared = [n for n in instance.overrides if n in shared]
        mark = "!" if instance.broadening or instance.weakening else ""
        rows.append((mark, instance.account, instance.region, str(len(instance.overrides)), str(len(of_shared)),
                     verdict(instance)))
    rendered = table(rows)
    lines.append(rendered[0])
    for text, instance in zip(rendered[1:], plan.instances):
        lines.append(paint(text, "bold", "yellow") if instance.broadening or instance.weakening else text)
    lines.append("")
    lines.append(paint("Overrides of each instance (* changes a value the accounts share)", "bold"))
    for instance in plan.instances:
        lines.append(f"  {instance.account} {instance.region}" + ("" if instance.overrides else ": none"))
        lines += _assignments(instance.shown_overrides(), shared, paint)
    for instance in plan.instances:
        if not instance.diff.empty:
            lines.append("")
            lines.append(paint(f"Permission changes of {instance.account} in {instance.region} against the "
                               "fleet's base", "bold"))
            lines.append(diff_text(instance.diff, colour).rstrip())
    lines.append("")
    lines.append(paint("Stack-instance calls (accounts with the same overrides share one)", "bold"))
    for group in plan.groups():
        lines.append(f"  accounts {', '.join(group.accounts)} in {', '.join(group.regions)}: "
                     f"{counted(len(group.overrides), 'override')}")
    return "\n".join(lines) + "\n"


def instances_text(instances: Sequence[object], colour: bool = False, title: str = "Stack instances") -> str:
    """The instances of a stack set as a table (account, region, status, detail, drift, reason)."""
    paint = Painter(colour)
    rows = [("ACCOUNT", "REGION", "STATUS", "DETAIL", "DRIFT", "REASON")]
    for i in instances:
        rows.append((i.account, i.region, i.status or "-", getattr(i, "detailed_status", None) or "-",
                     getattr(i, "drift_status", None) or getattr(i, "drift", None) or "-",
                     (getattr(i, "status_reason", None) or getattr(i, "reason", None) or "-")))
    if len(rows) == 1:
        return paint(title, "bold") + ": none\n"
    return "\n".join([paint(title, "bold"), *table(rows)]) + "\n"


def status_text(status: FleetStatus, colour: bool = False) -> str:
    """Every instance with its overrides, what differs from the profile marked and painted."""
    paint = Painter(colour)
    against = f"profile {status.profile}" if status.profile else "no profile"
    lines = [paint(f"Stack set {status.stack_set}: {len(status.instances)} instances, compared with {against}",
                   "bold")]
    if status.note:
        lines.append(paint(status.note, "dim"))
    lines.append("")
    rows = [("", "ACCOUNT", "REGION", "STATUS", "DETAIL", "DRIFT", "OVERRIDES", "REASON")]
    for i in status.instances:
        rows.append(("!" if i.stands_out else "", i.account, i.region, i.status or "-", i.detailed_status or "-",
                     i.drift or "-", str(len(i.overrides)), i.reason or "-"))
    rendered = table(rows)
    lines.append(rendered[0])
    for text, instance in zip(rendered[1:], status.instances):
        lines.append(paint(text, "bold", "yellow") if instance.stands_out else text)
    if status.parameter_differences:
        lines.append("")
        lines.append(paint(f"The stack set's parameters differ from profile {status.profile}", "bold", "yellow"))
        for d in status.parameter_differences:
            lines.append(f"  ! {d.parameter}: runs {d.running!r}, profile {d.profile!r}")
    for i in status.instances:
        lines.append("")
        lines.append(paint(f"{i.account} {i.region}", "bold")
                     + (paint("  not in the profile", "yellow") if i.in_profile is False else ""))
        if i.overrides:
            lines += [f"    {name} = {value if value != '' else '(empty)'}" for name, value in i.overrides.items()]
        else:
            lines.append("    no overrides (the stack set's values)")
        for d in i.differences:
            lines.append("  " + paint(f"! {d.parameter}: runs {d.running!r}, profile {d.profile!r}", "yellow"))
    if status.missing_accounts:
        lines.append("")
        lines.append(paint(f"Accounts of profile {status.profile} with no instance: "
                           f"{', '.join(status.missing_accounts)}", "yellow"))
    return "\n".join(lines) + "\n"
