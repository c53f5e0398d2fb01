"""Hardening a vendor template: every rule of the overlay, applied in order, with provenance.

``harden(template)`` copies the template's body, and for each rule of the overlay:

- leaves it out when the template already has the rule's parameter (the option is there); a
  rule whose option is an earlier rule's parameter (``option_of``) adds no parameter and applies
  when that rule did;
- reports it as *needs a change by the vendor* when no template edit can deliver it (TLS served
  by the containers, say) and never offers it as done;
- reports it as *matched nothing* (a warning; the run goes on) when none of its predicates finds
  anything in this template, without adding a parameter that would do nothing;
- otherwise adds its parameter (default: the vendor's behaviour), its conditions and template
  ``Rules``, and runs its steps: each step matches, then edits each match.

The hardened body records its provenance under ``Metadata: QuiltWizard::Overlay`` (the vendor
template's sha256, the overlay's name, version and digest, each rule's outcome and what it
matched), is written out as YAML and parsed again, so that everything downstream (grants,
network, diff, findings, report, cfn-lint) reads the hardened template as it will be deployed.
"""

from __future__ import annotations

import gc
import hashlib
from typing import Any

import yaml

from wizard.errors import TemplateError, WizardError
from wizard.gcpause import collection_paused
from wizard.overlay.edits import EDITS, EditContext, listed_statements, resolve_declared
from wizard.overlay.match import Match, find, names_in
from wizard.overlay.outcome import (APPLIED, BLOCKED, NOTHING, PRESENT, VENDOR, Hardening, RuleOutcome,
                                    RuleStatus, StepOutcome)
from wizard.overlay.rules import Overlay, Rule, Step, load_overlay
from wizard.cfn.template import MAX_TEMPLATE_BYTES, Template, parse_template
from wizard.cfn.yamlsource import LineDict, LineList
from wizard.memo import Memo


PROVENANCE_KEY = "QuiltWizard::Overlay"
_GROUP_LABEL = "Security options added by the quilt-wizard overlay"


class OverlayBug(RuntimeError):
    """The overlay's own code failed on a template that was read and checked: a bug in the
    program, never blamed on the template. It propagates (the command line shows its traceback)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}: this is a bug in quilt-wizard, not a fault of the template; "
                         "please report it with this traceback")


def plain(value: Any) -> Any:
    """A deep copy made of plain dicts and lists (the loader's line-aware types left behind)."""
    if isinstance(value, (dict, LineDict)):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, LineList)):
        return [plain(v) for v in value]
    return value


def _step(body: dict, step: Step, previous: list[Match], source: str) -> tuple[StepOutcome, list[Match]]:
    matches = find(body, step.match) if step.match else previous
    if not matches:
        return StepOutcome(step.name if step.match else "", (), ()), matches
    ctx = EditContext(body, matches, source)
    for edit in step.edits:
        EDITS[edit["op"]](ctx, edit)
    says = tuple(edit["says"] for edit in step.edits)
    return StepOutcome(step.name if step.match else "", tuple(matches) if step.match else (), says,
                       tuple(ctx.skipped)), matches


def _declare(body: dict, rule: Rule, source: str) -> None:
    parameters = body.setdefault("Parameters", {})
    for name, spec in rule.parameter_specs().items():
        if name in parameters:
            raise TemplateError(f"the template already has a parameter {name}; the overlay's rule {rule.id} "
                                "cannot add its own", file=source, where=f"Parameters/{name}")
        parameters[name] = plain(spec)
    conditions = body.setdefault("Conditions", {})
    for name, expression in rule.conditions.items():
        if name in conditions:
            raise TemplateError(f"the template already has a condition {name}; the overlay's rule "
                                f"{rule.id} cannot add its own", file=source, where=f"Conditions/{name}")
        conditions[name] = plain(expression)
    template_rules = body.setdefault("Rules", {}) if rule.template_rules else {}
    for name, assertion in rule.template_rules.items():
        if name in template_rules:
            raise TemplateError(f"the template already has a rule {name}", file=source, where=f"Rules/{name}")
        template_rules[name] = plain(assertion)


def _apply(body: dict, rule: Rule, applied: set[str], source: str) -> RuleOutcome:
    if rule.needs_vendor:
        return RuleOutcome(rule, VENDOR)
    if rule.parameter in (body.get("Parameters") or {}) and rule.option_of not in applied:
        return RuleOutcome(rule, PRESENT)  # an option_of rule: its option came with the template
    if not set(rule.requires) <= applied:
        return RuleOutcome(rule, BLOCKED)
    if not any(find(body, s.match) for s in rule.steps if s.match):
        return RuleOutcome(rule, NOTHING)
    _declare(body, rule, source)
    outcomes, previous = [], []
    for step in rule.steps:
        outcome, previous = _step(body, step, previous, source)
        outcomes.append(outcome)
    return RuleOutcome(rule, APPLIED, tuple(outcomes))


def _condition_names(value: Any) -> set[str]:
    """The conditions a value uses: a resource's or output's ``Condition``, ``Fn::If``, ``{Condition: X}``."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Condition" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::If" and isinstance(item, list) and item and isinstance(item[0], str):
                found.add(item[0])
            found |= _condition_names(item)
    elif isinstance(value, list):
        for item in value:
            found |= _condition_names(item)
    return found


def _drop_unused_options(body: dict, outcomes: list[RuleOutcome]) -> None:
    """Leave out a rule's further options (``more_options``) that nothing of the hardened template
    uses (their step matched nothing here: the approvers on the split pair's IAM part, which holds
    no policy writer), with the conditions and template ``Rules`` that only read them."""
    parameters = body.get("Parameters") or {}
    candidates = {name for o in outcomes if o.status == APPLIED for name in o.rule.parameter_specs()
                  if name != o.rule.parameter and name in parameters}
    if not candidates:
        return
    conditions = body.get("Conditions") or {}
    used_parts = [body.get("Resources"), body.get("Outputs")]
    wanted, seen = _condition_names(used_parts), set()
    while wanted - seen:
        name = (wanted - seen).pop()
        seen.add(name)
        wanted |= _condition_names(conditions.get(name)) & set(conditions)
    used = names_in(used_parts) | names_in([conditions[c] for c in seen if c in conditions])
    unused = candidates - used
    if not unused:
        return
    for name in unused:
        del parameters[name]
    dropped = set(unused)
    changed = True
    while changed:
        changed = False
        for name, expression in list(conditions.items()):
            if name not in seen and (names_in(expression) | _condition_names(expression)) & dropped:
                del conditions[name]
                dropped.add(name)
                changed = True
    rules = body.get("Rules") or {}
    for name, rule in list(rules.items()):
        if (names_in(rule) | _condition_names(rule)) & dropped:
            del rules[name]
    if "Rules" in body and not body["Rules"]:
        del body["Rules"]


def _provenance(body: dict, overlay: Overlay, outcomes: list[RuleOutcome], digest: str) -> None:
    metadata = body.get("Metadata")
    if not isinstance(metadata, dict):
        metadata = body["Metadata"] = {}
    if PROVENANCE_KEY in metadata and not any(o.status == APPLIED for o in outcomes):
        return  # an already hardened template keeps the record of its vendor template
    metadata[PROVENANCE_KEY] = {
        "VendorTemplateSha256": digest,
        "Overlay": overlay.name,
        "OverlayVersion": overlay.version,
        "OverlayDigest": overlay.digest,
        "Rules": [{"Id": o.rule.id, "Parameter": o.rule.parameter, "Concerns": list(o.rule.concerns),
                   "Status": o.status.value,
                   "Matched": [m.label for s in o.steps for m in s.matches],
                   **({"NeedsVendor": o.rule.needs_vendor} if o.status == VENDOR else {})}
                  for o in outcomes],
    }
    added = [p for o in outcomes if o.status == APPLIED for p in o.rule.parameter_specs()
             if p in (body.get("Parameters") or {})]
    interface = metadata.get("AWS::CloudFormation::Interface")
    if added and isinstance(interface, dict) and isinstance(interface.get("ParameterGroups"), list):
        interface["ParameterGroups"].append({"Label": {"default": _GROUP_LABEL}, "Parameters": added})


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block YAML without anchors: CloudFormation rejects YAML aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_Dumper.add_representer(LineDict, lambda d, v: d.represent_dict(v))
_Dumper.add_representer(LineList, lambda d, v: d.represent_list(v))


def dump_template(body: dict) -> str:
    """A template body as block YAML in long form, keys in their order, no anchors."""
    return _dump(body)


def _dump(body: dict) -> str:
    return yaml.dump(body, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=100)


#: Hardenings of this process, by template (identity) and overlay: the faces harden the same
#: template for each preview and each file they write.
_CACHE: Memo[tuple[int, str], tuple[Template, Hardening]] = Memo(maxsize=16)


def harden(template: Template, overlay: Overlay | None = None) -> Hardening:
    """The vendor ``template`` with every rule of ``overlay`` (the Quilt overlay) applied."""
    overlay = overlay or load_overlay()
    key = (id(template), overlay.digest)
    cached = _CACHE.get(key)
    if cached and cached[0] is template:
        return cached[1]
    # The hardening builds a tree of dicts and lists that stay reachable until it ends and makes
    # no reference cycles: a collection would find nothing, yet each full one walks every object
    # of the process, more often and over more of them the larger the template. The one full
    # collection the pause defers runs here, in the hardening's thread (a face's worker), and not
    # at whatever allocation comes next (a frame of the screen, in the wizard).
    with collection_paused():
        result = _hardened(template, overlay)
    if gc.isenabled():
        gc.collect()
    _CACHE.put(key, (template, result))
    return result


def _hardened(template: Template, overlay: Overlay) -> Hardening:
    body = plain(template.body)
    listed_statements(body)  # the form every match's path counts (wizard.overlay.match)
    source = template.source
    outcomes: list[RuleOutcome] = []
    applied: set[str] = set()
    for rule in overlay.rules:
        try:
            outcome = _apply(body, rule, applied, source)
        except (WizardError, RecursionError, MemoryError):
            raise  # what the template asks that the rule cannot do (a clash, a missing part): one line
        except Exception as exc:
            # The template was read and checked before any rule saw it: what fails here is ours.
            raise OverlayBug(f"the overlay's rule {rule.id} failed on {source}") from exc
        if outcome.status == APPLIED:
            applied.add(rule.id)
        outcomes.append(outcome)
    digest = hashlib.sha256(template.text.encode("utf-8")).hexdigest()
    resolve_declared(body)
    _drop_unused_options(body, outcomes)
    _provenance(body, overlay, outcomes, digest)
    text = _dump(body)
    size = len(text.encode("utf-8"))
    if size > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"hardened, the template would be {size:,} bytes, over CloudFormation's limit of "
                            f"{MAX_TEMPLATE_BYTES:,} (the overlay adds {size - len(template.text.encode('utf-8')):,}): "
                            "it cannot be deployed hardened; deploy it as it is, or ask the vendor for a smaller one",
                            file=source)
    try:
        hardened = parse_template(text, f"{source} (hardened)")
    except TemplateError as exc:  # a bug in the overlay, never the user's input
        raise OverlayBug(f"the hardened template of {source} does not parse: {exc}") from exc
    return Hardening(template, hardened, overlay, tuple(outcomes), digest)
