"""How the fleet plan grows with the number of accounts.

Run: ``.venv/bin/python benchmarks/bench_fleet.py``. A profile of the embedded template with 100
accounts (each in its own region of four, with its own certificate, image, search domain and
network; every tenth turns the deny guard-rails off, which the plan must show as broadening) is
planned whole and for its first account alone, each run in a fresh interpreter with a warm
cache folder; prints the median processor time beside the peak RSS, and the ratio of 100 accounts to
one (target: at most 25x: parse, catalog and unchanged analyses shared).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._timing import report  # noqa: E402

ACCOUNTS = 100
REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2")

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from wizard.fleet.plan import plan_fleet
from wizard.flow.stack import template_for

start = time.process_time()
plan = plan_fleet("fleet", template_for(None), accounts={accounts!r})
spent = (time.process_time() - start) * 1000
broadening = sum(1 for i in plan.instances if i.broadening)
print(json.dumps([spent, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, len(plan.instances), broadening]))
"""


def account_id(n: int) -> str:
    return f"{100000000000 + n * 7919:012d}"


def profile(accounts: int) -> str:
    lines = ["name: fleet", "extends: restricted", "answers:", "  host: quilt.example.com",
             "  bucket_scope: acme-quilt-", "parameters:", "  AdminEmail: admin@example.com",
             "  CloudTrailBucket: example-trail", "accounts:"]
    for n in range(accounts):
        account, region = account_id(n), REGIONS[n % len(REGIONS)]
        lines += [f'  "{account}":', f"    region: {region}", "    answers:",
                  f"      certificate: arn:aws:acm:{region}:{account}:certificate/0f1e2d3c-4b5a-6978-8796-{n:012d}",
                  f"      approvers: arn:aws:iam::{account}:role/approver"]
        if n % 10 == 9:
            lines.append('      tighter_security: "no"')
        lines += ["    parameters:", f"      RegistryImage: {account}.dkr.ecr.{region}.amazonaws.com/quilt:1",
                  f"      SearchDomainArn: arn:aws:es:{region}:{account}:domain/quilt",
                  f"      VPC: vpc-{n:017x}", f"      Subnets: subnet-{n:07x}a,subnet-{n:07x}b",
                  f"      PublicSubnets: subnet-{n:07x}c,subnet-{n:07x}d"]
    return "\n".join(lines) + "\n"


def run(home: str, accounts: list[str], repeat: int) -> tuple[float, float, int, int]:
    """Median processor time of planning ``accounts``, each run in a fresh interpreter (nothing
    cached in memory), with the largest peak RSS, the instances and the broadening ones."""
    code = CHILD.format(root=str(ROOT), accounts=accounts)
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**os.environ, "QUILT_WIZARD_HOME": home})
        if proc.returncode:
            sys.exit(proc.stderr)
        runs.append(json.loads(proc.stdout))
    return (statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[0][2], runs[0][3])


def main() -> None:
    home = tempfile.mkdtemp(prefix="qw-bench-fleet-")
    folder = Path(home) / "config" / "profiles"
    folder.mkdir(parents=True)
    (folder / "fleet.yaml").write_text(profile(ACCOUNTS))
    one = [account_id(0)]
    every = [account_id(n) for n in range(ACCOUNTS)]
    run(home, one, 1)  # warm the cache folder (parse, IAM catalog), as every run after the first
    single = run(home, one, 7)
    report("fleet plan, 1 account", single[0], peak=single[1])
    whole = run(home, every, 3)
    report(f"fleet plan, {whole[2]} accounts, {whole[3]} broadening", whole[0], peak=whole[1])
    print(f"{'  100 accounts / 1':<58} {whole[0] / single[0]:10.2f} x   (target <= 25x)")


if __name__ == "__main__":
    main()
