"""The inputs the benchmarks make are ones the product accepts: a benchmark that stops on a
refused input measures nothing."""

from __future__ import annotations

from pathlib import Path


def test_the_fleet_benchmarks_profile_plans_for_its_accounts(tmp_path, monkeypatch):
    from benchmarks import bench_fleet
    from wizard.fleet.plan import plan_fleet
    from wizard.flow.stack import template_for

    monkeypatch.setenv("QUILT_WIZARD_HOME", str(tmp_path))
    folder = Path(tmp_path) / "config" / "profiles"
    folder.mkdir(parents=True)
    (folder / "fleet.yaml").write_text(bench_fleet.profile(10))
    plan = plan_fleet("fleet", template_for(None), accounts=[bench_fleet.account_id(n) for n in range(10)])
    assert len(plan.instances) == 10 and not plan.refused
