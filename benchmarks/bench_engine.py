"""Engine benchmarks on the real Quilt template: parse, evaluate, grants, diff.

Run: ``.venv/bin/python benchmarks/bench_engine.py``. Prints median milliseconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import REAL, median_ms, report  # noqa: E402
from tests.conftest import REAL_REQUIRED  # noqa: E402
from wizard.cfn.evaluate import Evaluation  # noqa: E402
from wizard.cfn.parameters import resolve_parameters  # noqa: E402
from wizard.cfn.template import MAX_DEPTH, parse_template  # noqa: E402


def parse_steps(text: str) -> None:
    """What a first run pays for the template and a later one does not: reading the YAML (from
    the parser's events, and by PyYAML's constructor as a document the quick reading hands over
    is), and writing the parse cache's entry (the body and its containers that hold an
    intrinsic function), beside reading it back."""
    import pickle

    from wizard.cfn import parsecache, yamlsource
    from wizard.cfn.intrinsics import dynamic_containers
    from wizard.errors import TemplateError
    from wizard.gcpause import collection_paused

    def constructed() -> object:
        loader = yamlsource._loader()(text, "template", TemplateError)
        try:
            with collection_paused():
                return loader.get_single_data()
        finally:
            loader.dispose()

    def unpickled() -> object:
        with collection_paused():
            return pickle.loads(entry)

    body = yamlsource.parse_yaml(text, "template", TemplateError)
    kept = (body, dynamic_containers(body))
    entry = parsecache._pickled(kept)
    report("  read the YAML, from the parser's events (first run)",
           median_ms(lambda: yamlsource.parse_yaml(text, "template", TemplateError), repeat=10))
    report("  read the YAML, by PyYAML's constructor (handed over)", median_ms(constructed, repeat=10))
    report("  find the containers that hold an intrinsic (first run)",
           median_ms(lambda: dynamic_containers(body, MAX_DEPTH), repeat=10))
    report("  pickle the parse cache's entry (first run)", median_ms(lambda: parsecache._pickled(kept), repeat=10))
    report("  unpickle the parse cache's entry (later runs)", median_ms(unpickled, repeat=10))


def first_evaluation(path: Path) -> None:
    """What a run pays from the template's file to every resource evaluated once, the parsed
    body read back from the parse cache (the copy a process keeps by path forgotten first)."""
    from wizard.cfn import template as template_module

    template_module._CACHE.clear()
    template = template_module.load_template(path)
    Evaluation(template, resolve_parameters(template, REAL_REQUIRED)).resources()


def main() -> None:
    if not REAL.is_file():
        sys.exit(f"the real template is not at {REAL}")
    text = REAL.read_text()
    print(f"real template: {REAL.name}, {len(text):,} bytes")
    report("parse_template (its entry in the parse cache)", median_ms(lambda: parse_template(text), repeat=10),
           target="parse once")
    parse_steps(text)
    report("load_template, then every resource evaluated (warm cache)",
           median_ms(lambda: first_evaluation(REAL), repeat=10))
    template = parse_template(text)
    values_a = resolve_parameters(template, REAL_REQUIRED)
    values_b = resolve_parameters(template, {**REAL_REQUIRED, "Qurator": "Enabled"})

    def evaluate_all() -> None:
        Evaluation(template, values_a).resources()

    report("evaluate every resource (parsed once)", median_ms(evaluate_all), target="< 10 ms")
    try:
        from wizard.iam.grants import extract
        from wizard.iam.network import network_rules
        from wizard.iam.diff import diff_evaluations
    except ImportError:
        return

    def grants_and_network() -> None:
        ev = Evaluation(template, values_a)
        extract(ev)
        network_rules(ev)

    report("evaluate + extract grants + network", median_ms(grants_and_network), target="< 20 ms")

    def full_diff() -> None:
        diff_evaluations(Evaluation(template, values_a), Evaluation(template, values_b))

    report("evaluate both sides + grants + network + diff", median_ms(full_diff), target="< 20 ms")

    from wizard.findings import evaluate_findings

    def findings() -> None:
        ev = Evaluation(template, values_a)
        evaluate_findings(ev, extract(ev), network_rules(ev))

    report("evaluate + grants + network + findings", median_ms(findings), target="< 50 ms")


if __name__ == "__main__":
    main()
