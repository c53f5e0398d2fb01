"""The vendor's real template, monolithic and split, hardened once per session (read in place)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REAL, REAL_REQUIRED

#: Answers that harden the vendor's template in every promised way.
ANSWERS = Path(__file__).resolve().parents[2] / "data" / "overlay" / "answers-vendor.yaml"

#: The split application template takes the IAM part's outputs as parameters.
SPLIT_APP_REQUIRED = {
    **REAL_REQUIRED,
    "ApiRole": "arn:aws:iam::123456789012:role/quilt-ApiRole",
    "TimestampResourceHandlerRole": "arn:aws:iam::123456789012:role/quilt-TimestampResourceHandlerRole",
    "BucketReadPolicy": "arn:aws:iam::123456789012:policy/BucketReadPolicy",
    "BucketWritePolicy": "arn:aws:iam::123456789012:policy/BucketWritePolicy",
    "RegistryAssumeRolePolicy": "arn:aws:iam::123456789012:policy/quilt/quilt/us-east-1/RegistryAssumeRolePolicy",
}

#: Each vendor file and the values it needs.
VENDOR_FILES = {"stable.yaml": REAL_REQUIRED, "stable-app.yaml": SPLIT_APP_REQUIRED, "stable-iam.yaml": {}}


def _vendor(name: str):
    if not REAL.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    from wizard.cfn.template import load_template

    return load_template(REAL.parent / name)


@pytest.fixture(scope="session", params=["stable.yaml", "stable-app.yaml"])
def vendor(request):
    """(vendor template, its hardening, required values) for the monolithic and the split app template."""
    from wizard.overlay import harden

    template = _vendor(request.param)
    return template, harden(template), VENDOR_FILES[request.param]


@pytest.fixture(scope="session", params=list(VENDOR_FILES))
def any_vendor(request):
    """Every vendor file, the split IAM part included."""
    from wizard.overlay import harden

    template = _vendor(request.param)
    return template, harden(template), VENDOR_FILES[request.param]


@pytest.fixture
def run(tmp_path, real_template_path):
    """``go(*options)``: the headless run of ``ANSWERS`` on the vendor's template; its exit status."""
    from wizard.cli import main

    shutil.copy(ANSWERS, tmp_path / "answers.yaml")

    def go(*extra: str) -> int:
        return main(["--answers", str(tmp_path / "answers.yaml"), "--template", str(real_template_path), *extra])

    return go
