"""YAML output of evaluated values (which may hold the loader's line-aware containers)."""

from __future__ import annotations

from typing import Any

import yaml

from wizard.cfn.parameters import Unresolved
from wizard.cfn.symbolic import SymbolicList
from wizard.cfn.yamlsource import LineDict, LineList

_DUMPER_BASE = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_DUMPER_BASE):  # type: ignore[misc, valid-type]
    """Safe dumper that knows the template's container and placeholder types."""


_Dumper.add_representer(LineDict, lambda d, v: d.represent_dict(v))
_Dumper.add_representer(LineList, lambda d, v: d.represent_list(v))
_Dumper.add_representer(SymbolicList, lambda d, v: d.represent_list(list(v)))
_Dumper.add_representer(Unresolved, lambda d, v: d.represent_str(str(v)))


def to_yaml(value: Any) -> str:
    """Block-style YAML, keys in their original order."""
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)
