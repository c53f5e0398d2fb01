"""The summary (headless, --plain and the write screen share it) says what stops working, per
answer, and --json carries every lost access with its cause and the features it stops."""

from __future__ import annotations

import json


def test_the_json_summary_lists_every_lost_access_with_cause_and_features(run, capsys):
    assert run("--json") == 0
    summary = json.loads(capsys.readouterr().out)
    lost = summary["lost_access"]
    assert lost and all(set(item) == {"principal", "actions", "resources", "cause", "affects"} for item in lost)
    vendor = [item for item in lost if item["principal"].startswith("arn:aws:iam::712023778557:user/")]
    assert vendor and {item["cause"] for item in vendor} == {"TrustExternalPrincipals=Remove"}
    assert all(item["actions"] == ["sts:AssumeRole"] for item in vendor)
    scoped = [item for item in lost if "athena:StartQueryExecution" in item["actions"]]
    assert scoped and all(item["cause"] == "AllowedAthenaWorkgroups=primary,quilt-analytics" for item in scoped)
    assert any("Access counts" in item["affects"] for item in scoped)
    assert all(item in lost for item in summary["collateral"])


def test_the_text_summary_lists_per_answer_the_features_it_stops(run, capsys):
    assert run() == 0
    out = capsys.readouterr().out
    section = out[out.index("What stops working"):].split("\n\n", 1)[0].splitlines()
    trust = section.index("  external_trust (TrustExternalPrincipals=Remove)")
    assert section[trust + 1] == "    stops: The vendor's access to the stack"
    athena = next(i for i, line in enumerate(section) if line.startswith("  athena_scope ("))
    assert "    stops: Access counts" in section[athena + 1:]
