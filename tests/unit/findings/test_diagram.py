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


# --- laid out from the text: nothing overlaps, nothing is cut -----------------------------------

import xml.etree.ElementTree as ET  # noqa: E402

import pytest  # noqa: E402

from wizard.findings.layout import LABEL_SIZE, SIZE, text_width  # noqa: E402


def _boxes(picture: str):
    root = ET.fromstring(picture)
    rects = {"node": [], "label": []}
    for rect in root.iter("rect"):
        if rect.get("class") in rects:
            rects[rect.get("class")].append(tuple(float(rect.get(k)) for k in ("x", "y", "width", "height")))
    texts = []
    for text in root.iter("text"):
        size = float(text.get("font-size") or SIZE)
        for span in text.iter("tspan"):
            width = text_width(span.text or "", size, span.get("font-weight") == "700")
            texts.append((text.get("class"), span.text or "", float(span.get("x")) - width / 2,
                          float(span.get("y")) - size, width, size * 1.2))
    return root, rects, texts


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _inside(inner, outer) -> bool:
    return (outer[0] <= inner[0] and inner[0] + inner[2] <= outer[0] + outer[2]
            and outer[1] <= inner[1] + 1 and inner[1] + inner[3] <= outer[1] + outer[3] + 3)


def assert_readable(picture: str) -> None:
    root, rects, texts = _boxes(picture)
    plates, boxes = rects["label"], rects["node"]
    for i, a in enumerate(plates):
        assert not [b for b in plates[i + 1:] if _overlap(a, b)], f"label plates overlap at {a}"
        assert not [b for b in boxes if _overlap(a, b)], f"a label plate covers a box at {a}"
    for i, a in enumerate(boxes):
        assert not [b for b in boxes[i + 1:] if _overlap(a, b)], f"boxes overlap at {a}"
    for kind, content, x, y, width, height in texts:
        assert not content.endswith(("…", "...")), f"cut label {content!r}"
        if kind in ("node-text", "label-text"):
            owners = boxes if kind == "node-text" else plates
            assert any(_inside((x, y, width, height), box) for box in owners), f"{content!r} leaves its box"
        elif kind == "caption":
            assert not [b for b in boxes + plates if _overlap((x + width / 2, y, width, height), b)], content
    width, height = float(root.get("width")), float(root.get("height"))
    assert all(r[0] + r[2] <= width and r[1] + r[3] <= height for r in boxes + plates), "a box is cut by the edge"


@pytest.mark.parametrize("mode", ["standard", "restricted", "enterprise"])
@pytest.mark.parametrize("which", ["vendor", "embedded"])
def test_the_drawings_of_every_report_are_readable(which, mode, real_template_path):
    from tests.unit.findings.test_report_claims import rendered_analysis
    from wizard.findings.apis import apis, functions_by_group

    analysis, (_, html) = rendered_analysis(which, mode)
    network = re.search(r'<svg class="network".*?</svg>', html, re.S).group(0)
    permissions = re.search(r'<svg class="permissions".*?</svg>', html, re.S).group(0)
    assert_readable(network)
    assert_readable(permissions)
    schemes = [r for r in analysis.rules if r.kind == "scheme"]
    for rule in schemes:
        assert f"load balancer, scheme: {rule.detail}" in network
    for api in apis(analysis.evaluation):
        assert f"API Gateway {api.name}" in network
        assert f"{sum(1 for m in api.methods if not m.authenticated)} without authorization" in network
        for method in api.methods:
            assert f"{method.verb} {method.path}" in network and method.function in network
    for functions in functions_by_group(analysis.evaluation).values():
        assert all(f in network for f in functions)
    for role in analysis.evaluation.resources("AWS::IAM::Role"):
        assert role in permissions


def test_the_vendor_api_is_public_with_four_unauthenticated_methods(real_template_path):
    from wizard.findings.apis import apis

    template = load_template(real_template_path)
    evaluation = Evaluation(template, resolve_parameters(template, REAL_REQUIRED))
    (api,) = apis(evaluation)
    assert api.public and len(api.methods) == 4 and not any(m.authenticated for m in api.methods)
    assert {m.function for m in api.methods} == {"PreviewHandler", "ThumbnailLambda", "TranscodeHandler",
                                                 "TabularPreviewLambda"}
