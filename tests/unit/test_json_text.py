"""The ``--json`` outputs' text is what ``json.dumps(value, indent=2)`` writes, byte for byte."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.commands.json_text import dumps

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
_KEYS = st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none())
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.lists(inner, max_size=5).map(tuple),
    st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=40)


@settings(max_examples=300, derandomize=True)
@given(_VALUES)
def test_the_text_is_the_standard_librarys(value):
    assert dumps(value) == json.dumps(value, indent=2)


def test_every_kind_of_value_and_key():
    value = {"a": [1.5, float("nan"), float("inf"), -float("inf"), True, False, None, "é\n\"\u2028", [], {}, (1, 2),
                   [[{"x": []}]]], 1: "x", 2.5: 1, True: 2, False: [], None: 3, "": [[[]]], "big": 10 ** 30}
    assert dumps(value) == json.dumps(value, indent=2)
    for scalar in (None, True, 0, -3, 0.1, "text", "", float("nan")):
        assert dumps(scalar) == json.dumps(scalar, indent=2)


def test_what_json_cannot_write_is_refused_as_there():
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"a": [object()]})
    with pytest.raises(TypeError, match="keys must be"):
        dumps({(1, 2): 1})
    looped: list = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps({"a": looped})
    shared = [1]
    assert dumps([shared, shared]) == json.dumps([shared, shared], indent=2)  # seen twice is no loop


def test_the_grants_of_the_vendor_template(real_evaluation):
    from wizard.iam.grants import extract

    document = {"grants": [g.to_json() for g in extract(real_evaluation())]}
    assert dumps(document) == json.dumps(document, indent=2)
