"""The findings line every face prints: each severity named once, most severe first, and a
summary's headline that leads with it before the grants."""

from __future__ import annotations

import re

from wizard.findings.model import Finding
from wizard.flow.risk import RiskChange, change
from wizard.iam.diff import PermissionDiff


def _finding(severity: str, number: int) -> Finding:
    return Finding(f"QW-T-{number:03d}", severity, "a test finding", "why", "fix", f"Role{number}", "message")


def _severities(line: str) -> list[str]:
    return re.findall(r"(critical|high|medium|low|info)", line)


def test_a_severity_that_gains_and_loses_findings_is_named_once():
    removed = [_finding("critical", 1), _finding("medium", 2)]
    added = [_finding("medium", n) for n in range(10, 23)] + [_finding("low", 30)]
    text = RiskChange(tuple(added), tuple(removed)).text()
    assert text == "-1 critical +13/-1 medium +1 low"
    assert _severities(text) == ["critical", "medium", "low"]


def test_one_finding_replacing_another_of_the_same_severity_is_not_hidden():
    text = change([_finding("high", 1)], [_finding("high", 2)]).text()
    assert text == "+1/-1 high"


def test_only_arrivals_only_departures_and_no_change():
    assert RiskChange((_finding("info", 1), _finding("info", 2)), ()).text() == "+2 info"
    assert RiskChange((), (_finding("high", 1),)).text() == "-1 high"
    assert RiskChange((), ()).text() == "findings unchanged"


def test_every_severity_appears_once_whatever_moves():
    severities = ("critical", "high", "medium", "low", "info")
    removed = tuple(_finding(s, i) for i, s in enumerate(severities * 2))
    added = tuple(_finding(s, 100 + i) for i, s in enumerate(severities * 3))
    text = RiskChange(added, removed).text()
    assert _severities(text) == list(severities)
    assert text == "+3/-2 critical +3/-2 high +3/-2 medium +3/-2 low +3/-2 info"


def test_the_headline_leads_with_the_risk_then_the_grants():
    from wizard.flow.risk import headline

    risk = RiskChange((), (_finding("critical", 1),))
    line = headline(risk, PermissionDiff())
    assert line.startswith("findings -1 critical; ")
    assert line.index("critical") < line.index("grants")
    assert headline(RiskChange((), ()), PermissionDiff()).startswith("findings unchanged; ")
