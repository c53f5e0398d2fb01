"""The rule-by-rule effects add up to the whole change, each read on top of the earlier rules."""

from __future__ import annotations

from tests.unit.overlay.helpers import compare
from wizard.overlay.effects import option_effects


def test_effects_are_cumulative_and_add_up_to_the_whole_change(vendor):
    _template, hardening, values = vendor
    chosen = {**values, "CustomerBucketPrefix": "acme-", "PolicyCreationMode": "PreCreated",
              "TrustExternalPrincipals": "Remove", "InternalApiPort": "444"}
    effects = option_effects(hardening, chosen)
    assert [e.rule.id for e in effects] == ["bucket-prefix", "policy-creation", "trust-external-principals"]
    assert not effects[0].diff.broadening and not effects[2].diff.broadening
    pre_created = [c.grant for c in effects[1].diff.added if c.grant.source.resource == "BucketReadPolicy"]
    assert all("arn:aws:s3:::acme-*" in g.resources for g in pre_created), "read with the prefix in force"
    whole = compare(hardening.template, values, hardening.template, chosen)
    assert sum(len(e.diff.added) for e in effects) >= len(whole.added) > 0
