"""The causes of each lost access are the ones the plain method finds: for every changed option,
the analysis run again with that option back at its baseline value and with it alone changed,
each compared with the baseline in full. Proved on the vendor's template in every policy-creation
mode and on the split pair."""

from __future__ import annotations

import pytest

from tests.unit.overlay.test_costs import MODES, RESTRICTIVE, _parts
from tests.unit.overlay.conftest import _vendor
from wizard.iam.analysis import analyse
from wizard.iam.effective import lost_access, resource_types_of
from wizard.overlay import harden
from wizard.overlay.costs import _changed, _fresh, _group, _index, _set, _within, costs
from wizard.overlay.features import load_features


def _plain(template, before, after, pseudo=None):
    """Every lost access with its causes, two full analyses per changed option."""
    base, chosen = analyse(template, before, pseudo), analyse(template, after, pseudo)
    types = resource_types_of(template.resources)
    lost = lost_access(base.grants, chosen.grants, types, _fresh(template, base, chosen))
    cause_of = {a: [] for a in lost}
    for name in _changed(before, after):
        other = analyse(template, _set(after, name, before), pseudo)
        kept = _index(lost_access(base.grants, other.grants, types, _fresh(template, base, other)))
        other = analyse(template, _set(before, name, after), pseudo)
        only = _index(lost_access(base.grants, other.grants, types, _fresh(template, base, other)))
        for access in lost:
            if not _within(access, kept) or _within(access, only):
                cause_of[access].append(name)
    return _group(lost, cause_of, after, load_features())


@pytest.mark.parametrize("split", [False, True], ids=["monolithic", "split"])
@pytest.mark.parametrize("mode", list(MODES))
def test_the_causes_are_those_of_two_full_analyses_per_option(split, mode):
    compared = 0
    for name, required in _parts(split):
        hardened = harden(_vendor(name)).template
        chosen = {**required, **{k: v for k, v in {**RESTRICTIVE, "PolicyCreationMode": mode, **MODES[mode]}.items()
                                 if k in hardened.parameters}}
        found = costs(hardened, required, chosen).lost
        assert found == _plain(hardened, required, chosen)
        compared += len(_changed(required, chosen)) > 1 and bool(found)
    assert compared, "some part loses accesses to several options"


def test_the_headless_runs_causes_on_the_vendor_template_are_those_of_two_full_analyses(tmp_path):
    """The benchmark's answers change a dozen options, some of which change no grant."""
    from pathlib import Path

    from tests.conftest import REAL
    from wizard.flow.answers import load_answers_file
    from wizard.flow.headless import plan_arguments, plan_deployment
    from wizard.flow.stops import vendor_values

    _vendor("stable.yaml")
    answers = load_answers_file(str(Path(__file__).resolve().parents[3] / "benchmarks" / "answers-vendor.yaml"))
    deployment = plan_deployment(**plan_arguments(answers, template=str(REAL), out=str(tmp_path / "p.json")))
    before, after = vendor_values(deployment), dict(deployment.values.raw)
    found = costs(deployment.template, before, after, deployment.pseudo).lost
    assert found and found == _plain(deployment.template, before, after, deployment.pseudo)
