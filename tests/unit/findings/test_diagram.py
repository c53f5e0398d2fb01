"""The network diagram: the internet only where a security group admits it, drawn without any script."""

from __future__ import annotations

import re

from tests.conftest import REAL_REQUIRED
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template
from wizard.findings.diagram import drawable, svg
from wizard.findings.flows import INTERNET, flows
from wizard.iam.network import network_rules
from wizard.paths import DEFAULT_TEMPLATE
from tests.unit.findings.test_embedded_model import REQUIRED


def drawn(path, parameters):
    template = load_template(path)
    evaluation = Evaluation(template, resolve_parameters(template, parameters))
    found = flows(evaluation, network_rules(evaluation))
    return found, svg(found)


def test_the_private_listener_is_reached_from_its_accessor_group_not_the_internet():
    found, _ = drawn(DEFAULT_TEMPLATE, REQUIRED)
    private = [f for f in found if "PrivateListener" in f.label and f.target == "LoadBalancer"]
    assert [(f.source, f.public) for f in private] == [("ElbPrivateAccessorSecurityGroup", False)]
    public = {f.label for f in found if f.source == INTERNET}
    assert public == {"HTTPS 443 (Listener)", "HTTP 80 (InsecureListener)"}


def test_the_internet_is_drawn_red_and_outside_the_boundary_only_when_admitted():
    _, picture = drawn(DEFAULT_TEMPLATE, REQUIRED)
    assert ">Internet<" in picture and 'stroke="#c0392b"' in picture
    _, internal = drawn(DEFAULT_TEMPLATE, {**REQUIRED, "LoadBalancerScheme": "internal"})
    assert ">Internet<" not in internal and 'stroke="#c0392b"' not in internal


def test_a_group_outside_the_template_is_named_not_called_the_internet(real_template_path):
    found, picture = drawn(real_template_path, REAL_REQUIRED)
    assert not [f for f in found if f.source == INTERNET]
    assert any(f.source.startswith("Clients admitted by sg-0123456789abcdef2") for f in found)
    assert ">Internet<" not in picture


def test_no_egress_is_not_drawn_and_open_egress_is_the_aws_apis_box():
    found, _ = drawn(DEFAULT_TEMPLATE, REQUIRED)
    edges = drawable(found)
    assert not [e for e in edges if e[1] == "127.0.0.1/32"]
    assert any(e[1].startswith("AWS APIs") and "tcp 443" in e[2] for e in edges)


def test_the_drawing_holds_no_script_no_reference_and_escapes_its_text():
    _, picture = drawn(DEFAULT_TEMPLATE, REQUIRED)
    assert picture.startswith("<svg ") and picture.endswith("</svg>")
    assert not re.search(r"<script|url\(|href|https?://", picture, re.IGNORECASE)
    from wizard.findings.flows import Flow

    hostile = svg([Flow("<b>x</b>", "y&z", "a<script>")])
    assert "<b>" not in hostile and "<script>" not in hostile and "&lt;b&gt;" in hostile
