"""How the analysis grows with the template: the real template's resources copied up to 4x.

Run: ``.venv/bin/python benchmarks/bench_scale.py``. For 1x to 4x the real template (each
copy's resources renamed, references followed; 4x stays under CloudFormation's 1 MB limit),
each in a fresh interpreter: parse (without the disk parse cache), evaluate, extract grants and
network rules, and evaluate the findings; prints median milliseconds of processor time (what
the work costs on a shared machine) beside the peak RSS, and the 4x / 1x ratio (target: within
4.5x). Up to 3x (hardened, 4x would pass 1 MB) it also times the diff the wizard shows when the
hardened template's options are turned on, which should grow linearly. Last, ``quilt-wizard report``
on 1x and 4x (in process, after a first run) and its growth exponent (goal <= 1.1).
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import REAL, ROOT, report  # noqa: E402

CHILD = """
import gc, json, resource, statistics, sys, time
sys.path.insert(0, {root!r})
from tests.conftest import REAL_REQUIRED
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template
from wizard.findings import evaluate_findings
from wizard.iam.actions import classify
from wizard.iam.grants import extract
from wizard.iam.network import network_rules

try:
    from wizard.cfn import parsecache
    parsecache.MIN_CHARS = float("inf")  # measure the parse itself
except ImportError:
    pass
text = open({path!r}).read()
classify(["*"])  # the IAM catalog, loaded once per process whatever the size

def analyse():
    start = time.process_time()
    template = parse_template(text)
    parsed = time.process_time()
    ev = Evaluation(template, resolve_parameters(template, REAL_REQUIRED))
    grants, rules = extract(ev), network_rules(ev)
    analysed = time.process_time()
    evaluate_findings(ev, grants, rules)
    return [(parsed - start) * 1000, (analysed - parsed) * 1000, (time.process_time() - analysed) * 1000]

samples = []
for _ in range({repeat}):
    samples.append(analyse())
    gc.collect()  # one run's garbage is not counted in the next one's peak
phases = [statistics.median(column) for column in zip(*samples)]
total = statistics.median(sum(row) for row in samples)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

# The diff the wizard shows when the hardened template's options are turned on: many statements
# are rescoped or gain conditions, and each new grant is judged against the baseline's Allows.
# Hardening adds to the template: past 3x it would exceed CloudFormation's 1 MB, so no diff there.
from wizard.errors import TemplateError
from wizard.iam.diff import diff_evaluations
from wizard.overlay import harden
diff_ms, added = None, 0
try:
    hardened = harden(parse_template(text)).template
except TemplateError:
    hardened = None
if hardened is not None:
    enhanced = {{**REAL_REQUIRED, "EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-"}}
    before = Evaluation(hardened, resolve_parameters(hardened, REAL_REQUIRED))
    after = Evaluation(hardened, resolve_parameters(hardened, enhanced))
    pairs = (extract(before), extract(after)), (network_rules(before), network_rules(after))
    diffs = []
    for _ in range({repeat} * 3):
        start = time.process_time()
        found = diff_evaluations(before, after, grants=pairs[0], rules=pairs[1])
        diffs.append((time.process_time() - start) * 1000)
    diff_ms, added = statistics.median(diffs), len(found.added)
print(json.dumps([total, *phases, rss, diff_ms, added, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))
"""


def scaled(body: dict, copies: int) -> dict:
    """``body`` with its resources present ``copies`` times, each copy's names suffixed."""
    resources = body["Resources"]
    result = copy.deepcopy(body)
    for number in range(2, copies + 1):
        suffix = f"Copy{number}"
        names = set(resources)
        sub = re.compile(r"\$\{(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")([.}])")

        def rename(node):
            if isinstance(node, dict):
                if set(node) == {"Ref"} and node["Ref"] in names:
                    return {"Ref": node["Ref"] + suffix}
                if set(node) == {"Fn::GetAtt"} and isinstance(node["Fn::GetAtt"], list) \
                        and node["Fn::GetAtt"][0] in names:
                    return {"Fn::GetAtt": [node["Fn::GetAtt"][0] + suffix, *node["Fn::GetAtt"][1:]]}
                if set(node) == {"Fn::Sub"}:
                    value = node["Fn::Sub"]
                    if isinstance(value, str):
                        return {"Fn::Sub": sub.sub(lambda m: "${" + m[1] + suffix + m[2], value)}
                    return {"Fn::Sub": [sub.sub(lambda m: "${" + m[1] + suffix + m[2], value[0]),
                                        rename(value[1])]}
                return {key: rename(value) for key, value in node.items()}
            if isinstance(node, list):
                return [rename(item) for item in node]
            return node

        for name, resource in resources.items():
            clone = rename(resource)
            depends = clone.get("DependsOn")
            if isinstance(depends, str):
                clone["DependsOn"] = depends + suffix
            elif isinstance(depends, list):
                clone["DependsOn"] = [d + suffix for d in depends]
            result["Resources"][name + suffix] = clone
    return result


def main() -> None:
    if not REAL.is_file():
        sys.exit(f"the real template is not at {REAL}")
    from wizard.cfn.template import parse_template

    body = json.loads(json.dumps(parse_template(REAL.read_text()).body))
    folder = Path(tempfile.mkdtemp(prefix="qw-bench-scale-"))
    root = str(Path(__file__).resolve().parent.parent)
    results, diffs = {}, {}
    for copies in (1, 2, 3, 4):
        import yaml

        path = folder / f"x{copies}.yaml"
        path.write_text(yaml.safe_dump(scaled(body, copies), sort_keys=False, width=4096))
        code = CHILD.format(root=root, path=str(path), repeat=5 if copies < 3 else 3)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if proc.returncode:
            sys.exit(proc.stderr)
        ms, parse, analysis, findings, rss, diff_ms, added, diff_rss = json.loads(proc.stdout)
        results[copies] = ms
        report(f"parse + analysis + findings, {copies}x real ({path.stat().st_size // 1024} KiB)", ms, peak=rss)
        print(f"{'    of which parse, analysis, findings':<58} {parse:7.1f} {analysis:7.1f} {findings:7.1f} ms")
        if diff_ms is not None:
            diffs[copies] = diff_ms
            report(f"  diff, hardened options on against off ({added} grants new)", diff_ms, peak=diff_rss)
    print(f"{'  4x / 1x':<58} {results[4] / results[1]:10.2f} x   (target <= 4.5x)")
    if 1 in diffs and 3 in diffs:
        print(f"{'  diff 3x / 1x (linear: 3x)':<58} {diffs[3] / diffs[1]:10.2f} x")
    else:
        print(f"  diff measured at {sorted(diffs)}x only: hardened, the larger copies pass CloudFormation's 1 MB")
    report_growth(folder)


REPORT = """
import contextlib, io, json, resource, statistics, sys, time
sys.path.insert(0, {root!r})
from wizard.cli import main
argv = {argv!r}
def once():
    with contextlib.redirect_stdout(io.StringIO()):
        start = time.process_time()
        status = main(argv)
        spent = time.process_time() - start
    if status:
        sys.exit(f"report exited {{status}}")
    return spent
once()  # the imports, and the caches on disk (the parse, the action patterns)
spent = statistics.median(once() for _ in range({repeat}))
print(json.dumps([spent, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))
"""


def report_growth(folder: Path, repeat: int = 3) -> None:
    """``quilt-wizard report`` on the 1x and 4x templates, in process after a first run (so the
    start-up and the imports are left out: the work that grows with the template), processor
    time, the median of ``repeat`` runs; and the growth exponent log(t4 / t1) / log 4 (1.0 is
    linear; goal <= 1.1)."""
    import math
    import os

    from tests.conftest import REAL_REQUIRED

    env = {**os.environ, "QUILT_WIZARD_HOME": tempfile.mkdtemp(prefix="qw-bench-report-")}
    settings = [a for k, v in REAL_REQUIRED.items() for a in ("--set", f"{k}={v}")]
    spent = {}
    for copies in (1, 4):
        argv = ["report", "--template", str(folder / f"x{copies}.yaml"), *settings,
                "--out", str(folder / f"report-x{copies}"), "--force"]
        code = REPORT.format(root=str(ROOT), argv=argv, repeat=repeat)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        if proc.returncode:
            sys.exit(proc.stderr)
        spent[copies], rss = json.loads(proc.stdout)
        report(f"quilt-wizard report, {copies}x real (in process, after a first run)", spent[copies] * 1000, peak=rss)
    print(f"{'  report growth exponent, log(4x / 1x) / log 4':<58} {math.log(spent[4] / spent[1]) / math.log(4):10.2f}"
          "     (goal <= 1.1)")


if __name__ == "__main__":
    main()
