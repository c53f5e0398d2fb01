"""The shipped data files fit their JSON Schemas.

The program reads them without validating (importing jsonschema would cost more than the rest
of a start-up); a broken shipped file is caught here, before release, instead.
"""

from __future__ import annotations

import pytest

from wizard import paths
from wizard.cfn.yamlsource import parse_yaml
from wizard.errors import InputError
from wizard.schemas import validate

SHIPPED = sorted(p for p in paths.ASSETS.glob("*.yaml")
                 if (paths.SCHEMAS / f"{p.stem}.schema.json").is_file())


def test_every_data_file_with_a_schema_is_checked():
    assert {p.stem for p in SHIPPED} >= {"questions", "findings", "compliance", "availability-zones"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_a_shipped_data_file_fits_its_schema(path):
    validate(parse_yaml(path.read_text(encoding="utf-8"), str(path)), path.stem, str(path))


OVERLAY = sorted((paths.ASSETS / "overlays").glob("*/*.yaml"))


@pytest.mark.parametrize("path", OVERLAY, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_shipped_overlay_file_fits_the_overlay_schema(path):
    assert OVERLAY
    validate(parse_yaml(path.read_text(encoding="utf-8"), str(path)), "overlay", str(path))


def test_the_check_fails_on_a_broken_file(tmp_path):
    path = paths.ASSETS / "questions.yaml"
    data = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    data["questions"][0]["kind"] = "telepathy"
    with pytest.raises(InputError, match="/questions/0/kind"):
        validate(data, "questions", str(path))
