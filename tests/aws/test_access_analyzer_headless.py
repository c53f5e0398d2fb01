"""``--answers ... --preflight --access-analyzer`` as a real process, against a local endpoint.

moto has no IAM Access Analyzer: a local endpoint answers its three calls with recorded answers
and hands every other request to moto's server, so the rest of the preflight is real.
"""

from __future__ import annotations

import http.client
import http.server
import json
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.cli_run import run_cli
from tests.conftest import DATA
from tests.moto import import_certificate, network_settings

GOOD = str(DATA / "answers" / "good-standard.yaml")
ACCOUNT = "123456789012"  # moto's account

PASS_ROLE = {"findingDetails": "Using iam:PassRole with a wildcard in the resource is overly permissive.",
             "findingType": "SECURITY_WARNING", "issueCode": "PASS_ROLE_WITH_STAR_IN_RESOURCE",
             "learnMoreLink": "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html",
             "locations": [{"path": [{"value": "Statement"}, {"index": 0}, {"value": "Action"}],
                            "span": {"start": {"line": 1, "column": 1, "offset": 1},
                                     "end": {"line": 1, "column": 9, "offset": 9}}}]}


class Analyzer:
    """What the endpoint answers IAM Access Analyzer, and what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.denied = False
        """Answer every call with AccessDeniedException, as AWS does without the permission."""

    def answer(self, path: str, body: dict) -> dict:
        with self.lock:
            self.asked.append((path, body))
            validations = sum(1 for p, _ in self.asked if p == "/policy/validation")
        if path == "/policy/validation":
            return {"findings": [PASS_ROLE] if validations == 1 else []}
        if path == "/policy/check-no-new-access":
            return {"result": "FAIL", "message": "The modified permissions grant new access compared to your existing policy.",
                    "reasons": [{"description": "New access in the statement with index: 0.", "statementIndex": 0}]}
        return {"result": "PASS", "message": "The policy document does not grant access to perform the listed actions."}


@pytest.fixture
def analyzer_endpoint(endpoint: str) -> Iterator[tuple[str, Analyzer]]:
    """A local endpoint: IAM Access Analyzer's calls answered here, the rest passed to moto."""
    analyzer = Analyzer()
    moto = urlsplit(endpoint)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            self._serve("POST")

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_PUT(self) -> None:  # noqa: N802
            self._serve("PUT")

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve("HEAD")

        def _serve(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/policy/") and analyzer.denied:
                self._send(403, {"Content-Type": "application/json", "x-amzn-ErrorType": "AccessDeniedException"},
                           b'{"message": "User is not authorized to perform: access-analyzer:ValidatePolicy"}')
                return
            if self.path.startswith("/policy/"):
                self._send(200, {"Content-Type": "application/json"},
                           json.dumps(analyzer.answer(self.path, json.loads(body or b"{}"))).encode())
                return
            upstream = http.client.HTTPConnection(moto.hostname, moto.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            upstream.request(method, self.path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            kept = {k: v for k, v in answer.getheaders()
                    if k.lower() not in ("content-length", "connection", "transfer-encoding")}
            upstream.close()
            self._send(answer.status, kept, data)

        def _send(self, status: int, headers: dict, data: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", analyzer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def run(session, url: str, tmp_path, *more: str):
    arn = import_certificate(session, "quilt.example.com")
    return run_cli("--answers", GOOD, "--account-id", ACCOUNT, "--set", f"CertificateArnELB={arn}",
                   *network_settings(session), "--set", "CustomerBucketPrefix=acme-data-", "--out", str(tmp_path / "p.json"),
                   "--preflight", "--access-analyzer", "--endpoint-url", url, *more)


def test_the_results_join_the_findings_of_the_json_summary(session, analyzer_endpoint, tmp_path):
    url, analyzer = analyzer_endpoint
    result = run(session, url, tmp_path, "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    analysis = summary["aws"]["preflight"]["access_analyzer"]
    asked = [path for path, _ in analyzer.asked]
    assert analysis["calls"]["ValidatePolicy"] == asked.count("/policy/validation") == analysis["policies"] > 0
    assert analysis["calls"]["CheckAccessNotGranted"] == asked.count("/policy/check-access-not-granted") > 0
    # The bucket prefix changed the policies that scope buckets: each was compared with the baseline's.
    assert analysis["calls"]["CheckNoNewAccess"] == asked.count("/policy/check-no-new-access") > 0
    assert analysis["reference"] == "the baseline (standard)"
    assert analysis["billed_calls"] == analysis["calls"]["CheckNoNewAccess"] + analysis["calls"]["CheckAccessNotGranted"]
    # Every policy type was sent as its kind.
    types = {(body["policyType"], body.get("validatePolicyResourceType")) for path, body in analyzer.asked
             if path == "/policy/validation"}
    assert ("IDENTITY_POLICY", None) in types and ("RESOURCE_POLICY", "AWS::IAM::AssumeRolePolicyDocument") in types
    assert ("RESOURCE_POLICY", "AWS::S3::Bucket") in types
    aws = [f for f in summary["findings"] if f["source"] == "IAM Access Analyzer"]
    codes = {f["facts"]["issue_code"] for f in aws}
    assert "PASS_ROLE_WITH_STAR_IN_RESOURCE" in codes and "NEW_ACCESS" in codes
    assert all(f["lines"] and isinstance(f["lines"][0], int) for f in aws)
    assert all(f["source"] == "quilt-wizard" for f in summary["findings"] if f not in aws)
    checks = {c["name"]: c["status"] for c in summary["aws"]["preflight"]["checks"]}
    assert checks["access-analyzer-validate"] == "warn" and checks["access-analyzer-not-granted"] == "pass"


def test_the_text_summary_names_aws_findings(session, analyzer_endpoint, tmp_path):
    url, _ = analyzer_endpoint
    result = run(session, url, tmp_path)
    assert result.code == 0, result.err
    assert "AWS-AA-PASS_ROLE_WITH_STAR_IN_RESOURCE IAM Access Analyzer: ValidatePolicy SECURITY_WARNING" in result.out
    assert "IAM Access Analyzer (AWS) reported" in result.out
    assert "reported by AWS (IAM Access Analyzer), marked AWS-AA-" in result.out
    assert "... Checking the policies with IAM Access Analyzer" in result.err


def test_a_denied_analyzer_is_a_warning_naming_the_action_and_the_run_goes_on(session, analyzer_endpoint, tmp_path):
    url, analyzer = analyzer_endpoint
    analyzer.denied = True
    result = run(session, url, tmp_path, "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    checks = {c["name"]: c for c in summary["aws"]["preflight"]["checks"]}
    for name, action in (("access-analyzer-validate", "ValidatePolicy"),
                         ("access-analyzer-not-granted", "CheckAccessNotGranted")):
        assert checks[name]["status"] == "warn" and f"access-analyzer:{action} denied" in checks[name]["detail"]
    assert summary["aws"]["preflight"]["ok"] and (tmp_path / "p.json").is_file()


def test_the_option_belongs_to_the_preflight(tmp_path):
    result = run_cli("--answers", GOOD, "--out", str(tmp_path / "p.json"), "--access-analyzer")
    assert result.code == 2 and "--access-analyzer" in result.err and "--preflight" in result.err
    assert not (tmp_path / "p.json").exists()


def test_help_says_the_calls_reach_aws_and_some_are_billed():
    result = run_cli("--help")
    text = " ".join(result.out.split())
    assert "--access-analyzer" in text and "reach AWS" in text and "billed per call" in text
