"""The security documentation package written as Markdown and as self-contained HTML.

``wizard.findings.document`` assembles the content; this module writes it. The Markdown
carries the network flows as a Mermaid diagram (and the same flows as text); the HTML loads
nothing from anywhere: inline CSS, no script, the flows drawn as an inline SVG and as text, and a
Content-Security-Policy that forbids any other source. As a last guard every NoEcho value is
masked in the blocks before either is written, even if a template let one slip into a policy
or a resource name. ``context`` lets the headless run and the TUI add the deployment mode and
the customer's answers; ``preflight`` the results of the AWS checks.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.errors import InputError
from wizard.cfn.evaluate import Evaluation
from wizard.findings.document import Block, build
from wizard.findings.model import Finding
from wizard.iam.grants import Grant
from wizard.iam.network import NetworkRule
from wizard.cfn.parameters import mask_secrets

REPORT_MD = "security-report.md"
REPORT_HTML = "security-report.html"


# -- Markdown -------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\*\[\]`]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|^#|^>)", re.MULTILINE)


def _md_inline(text: str) -> str:
    """Text for Markdown: our `code` and **bold** kept, everything else literal."""
    out, last = [], 0
    for match in _INLINE.finditer(text):
        out.append(_md_escape(text[last:match.start()]))
        out.append(match.group(0) if match.group(1) is not None else f"**{_md_escape(match.group(2))}**")
        last = match.end()
    out.append(_md_escape(text[last:]))
    return "".join(out)


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")


def _md_cell(text: str) -> str:
    return _md_inline(text).replace("|", "\\|").replace("\n", "<br>")


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind == "h":
            out.append("#" * block.level + " " + _md_inline(block.text))
        elif block.kind == "p":
            out.append(_md_inline(block.text))
        elif block.kind == "table":
            header, *rows = block.rows
            out.append("| " + " | ".join(_md_cell(c) for c in header) + " |")
            out.append("|" + "|".join("---" for _ in header) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
        elif block.kind in ("ul", "ol"):
            out += [(f"{i}. " if block.kind == "ol" else "- ") + _md_inline(item) for i, item in enumerate(block.items, 1)]
        elif block.kind == "code":
            out.append(f"```{block.lang}\n{block.text.rstrip()}\n```")
        elif block.kind == "figure":
            if block.file:
                out.append(f"![{block.file}]({block.file})")
            out.append(f"<details><summary>The same drawing as text</summary>\n\n```text\n{block.alt.rstrip()}\n```\n\n</details>")
        elif block.kind == "diagram":
            if block.file and block.svg:
                out.append(f"![{block.file}]({block.file})")
            out.append(f"```mermaid\n{block.text.rstrip()}\n```")
            out.append(f"<details><summary>The same flows as text</summary>\n\n```text\n{block.alt.rstrip()}\n```\n\n</details>")
        out.append("")
    return "\n".join(out)


# -- HTML -----------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px 32px;background:#fff}
h1{font-size:26px;border-bottom:3px solid #2f5fd0;padding-bottom:8px}
h2{font-size:21px;margin-top:36px;border-bottom:1px solid #d5dae3;padding-bottom:4px}
h3{font-size:16px;margin-top:24px}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:13px}
th,td{border:1px solid #d5dae3;padding:4px 8px;text-align:left;vertical-align:top;word-break:break-word}
th{background:#eef1f6}
pre{background:#f1f3f7;border:1px solid #d5dae3;padding:10px;overflow-x:auto;font-size:12px;line-height:1.4}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
nav ul{columns:2;list-style:none;padding:0}
.sev{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px;font-weight:600}
.sev-critical{background:#7a0b1f}.sev-high{background:#c0392b}.sev-medium{background:#d68910}
.sev-low{background:#2e86c1}.sev-info{background:#7f8c8d}
figure.network,figure.drawing{margin:8px 0;overflow-x:auto}
@media print{
body{background:#fff;font-size:11pt}main{max-width:none;padding:0}
h2{break-before:page;page-break-before:always}h1+nav+h2,h1+h2{break-before:auto;page-break-before:auto}
h2,h3{break-after:avoid;page-break-after:avoid}
table{font-size:9pt}thead{display:table-header-group}tr,td,th{break-inside:avoid;page-break-inside:avoid}
pre{white-space:pre-wrap;overflow:visible;break-inside:auto}
figure.network,figure.drawing{overflow:visible;break-inside:avoid}
figure svg{max-width:100%;height:auto}
nav,details{display:none}
}
"""

_SEVERITY_HEADING = re.compile(r"^(\d+\. )\[(CRITICAL|HIGH|MEDIUM|LOW|INFO)\] ")
_INLINE = re.compile(r"`([^`]+)`|\*\*((?:\*{4}|[^*])+)\*\*")  # bold may hold a masked ****


def _inline(text: str) -> str:
    out, last = [], 0
    for match in _INLINE.finditer(text):
        out.append(html.escape(text[last:match.start()]))
        if match.group(1) is not None:
            out.append(f"<code>{html.escape(match.group(1))}</code>")
        else:
            out.append(f"<strong>{html.escape(match.group(2))}</strong>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def to_html(blocks: list[Block]) -> str:
    title = next((b.text for b in blocks if b.kind == "h" and b.level == 1), "Security review")
    body: list[str] = []
    toc = [f'<li><a href="#{b.anchor}">{html.escape(b.text)}</a></li>' for b in blocks if b.kind == "h" and b.anchor]
    for block in blocks:
        if block.kind == "h":
            text = _inline(block.text)
            match = _SEVERITY_HEADING.match(block.text)
            if match:
                severity = match.group(2).lower()
                rest = block.text[match.end():]
                text = (f'{html.escape(match.group(1))}<span class="sev sev-{severity}">{severity}</span> '
                        f"{_inline(rest)}")
            anchor = f' id="{block.anchor}"' if block.anchor else ""
            body.append(f"<h{block.level}{anchor}>{text}</h{block.level}>")
            if block.level == 1 and toc:
                body.append("<nav><ul>" + "".join(toc) + "</ul></nav>")
        elif block.kind == "p":
            body.append(f"<p>{_inline(block.text)}</p>")
        elif block.kind == "table":
            header, *rows = block.rows
            cells = "".join(f"<th>{_inline(c)}</th>" for c in header)
            lines = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in rows)
            body.append(f"<table><thead><tr>{cells}</tr></thead><tbody>{lines}</tbody></table>")
        elif block.kind in ("ul", "ol"):
            items = "".join(f"<li>{_inline(i)}</li>" for i in block.items)
            body.append(f"<{block.kind}>{items}</{block.kind}>")
        elif block.kind == "code":
            body.append(f"<pre><code>{html.escape(block.text.rstrip())}</code></pre>")
        elif block.kind == "figure":
            body.append(f'<figure class="drawing">{block.svg}</figure>')
            body.append(f'<details><summary>The same drawing as text</summary><pre>{html.escape(block.alt.rstrip())}</pre></details>')
        elif block.kind == "diagram":
            if block.svg:  # drawn by the project from the network rules: every label already escaped
                body.append(f'<figure class="network">{block.svg}</figure>')
            body.append(f'<pre class="flows">{html.escape(block.alt.rstrip())}</pre>')
            body.append("<details><summary>Mermaid source of the diagram</summary>"
                        f"<pre><code>{html.escape(block.text.rstrip())}</code></pre></details>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


# -- public API -----------------------------------------------------------------------------

def _masked(block: Block, secrets: tuple[str, ...]) -> Block:
    def mask(text: str) -> str:
        return mask_secrets(text, secrets)

    return Block(block.kind, mask(block.text), block.level, tuple(tuple(mask(c) for c in row) for row in block.rows),
                 tuple(mask(i) for i in block.items), block.lang, block.anchor, mask(block.alt), mask(block.svg),
                 block.file)


def render_report(evaluation: Evaluation, grants: list[Grant], rules: list[NetworkRule], findings: list[Finding],
                  *, context: dict | None = None, preflight: dict | None = None) -> tuple[str, str]:
    """(Markdown, HTML) of the security documentation package for one evaluation.

    ``context`` may carry ``mode``, ``profile``, ``answers`` (question -> answer) and
    ``frameworks`` (keys whose mapping to show; all when absent). ``preflight`` is the
    preflight report's JSON (``{"checks": [{"name", "status", "detail", "hint"}]}``) or a
    mapping of check name to result.
    """
    markdown, html_text, _ = render_package(evaluation, grants, rules, findings, context=context,
                                            preflight=preflight)
    return markdown, html_text


#: The drawings written beside the report, as standalone SVG files.
FIGURES = ("network.svg", "permissions.svg")


def render_package(evaluation: Evaluation, grants: list[Grant], rules: list[NetworkRule], findings: list[Finding],
                   *, context: dict | None = None, preflight: dict | None = None) -> tuple[str, str, dict[str, str]]:
    """(Markdown, HTML, {file name: standalone SVG}) of the package: ``render_report`` and its drawings."""
    context = {**(context or {}), "questions": vendor_questions(evaluation, context or {}),
               "answer_texts": answer_texts((context or {}).get("answers") or {})}
    blocks = build(evaluation, grants, rules, findings, context=context, preflight=preflight)
    secrets = evaluation.parameters.secrets
    if secrets:
        blocks = [_masked(block, secrets) for block in blocks]
    figures = {b.file: '<?xml version="1.0" encoding="UTF-8"?>\n'
               + b.svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1) + "\n"
               for b in blocks if b.file and b.svg}
    return to_markdown(blocks), to_html(blocks), figures


#: The vendor's four questions to the customer, in the order they were asked.
VENDOR_QUESTIONS = ("policy_creation", "tighter_security", "frameworks", "timeline")


def vendor_questions(evaluation: Evaluation, context: dict) -> list[dict[str, Any]]:
    """The four questions with the customer's answer, what it sets and what it costs.

    An answer the run was not given (a report from a parameter file) is read back from the
    parameters the answer would set, and marked as such; the frameworks come from
    ``--frameworks``.
    """
    from wizard.flow.catalog import load_catalog

    catalog = load_catalog()
    answers = dict(context.get("answers") or {})
    if context.get("frameworks") and "frameworks" not in answers:
        answers["frameworks"] = list(context["frameworks"])
    raw = evaluation.parameters.raw
    found = []
    for question_id in VENDOR_QUESTIONS:
        question = catalog.question(question_id)
        value, inferred = answers.get(question_id), False
        if value is None and question.choices and question.kind == "choice":
            match = next((c for c in question.choices if c.sets and all(raw.get(k) == v for k, v in c.sets.items())),
                         None)
            value, inferred = (match.value, True) if match else (None, False)
        values = list(value) if isinstance(value, (list, tuple)) else ([] if value is None else [value])
        chosen = [question.choice(str(v)) for v in values]
        found.append({
            "id": question.id, "title": question.title, "help": question.help, "tradeoff": question.tradeoff,
            "answered": value is not None, "inferred": inferred, "values": [str(v) for v in values],
            "answer": [c.label if c else str(v) for c, v in zip(chosen, values)],
            "answer_tradeoff": [c.tradeoff for c in chosen if c and c.tradeoff],
            "sets": {k: v for c in chosen if c for k, v in c.sets.items()},
        })
    return found


def answer_texts(answers: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Question id -> (the question, the answer in words) for every answer the catalog knows."""
    from wizard.errors import InputError
    from wizard.flow.catalog import load_catalog

    catalog = load_catalog()
    found = {}
    for question_id, value in answers.items():
        try:
            question = catalog.question(question_id)
        except (KeyError, InputError):
            continue
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        words = [(question.choice(str(v)).label if question.choice(str(v)) else str(v)) for v in values]
        found[question_id] = (question.title, ", ".join(words))
    return found


@dataclass(frozen=True)
class Package:
    """One report rendered and checked, ready to write: its folder, both texts, its findings."""

    folder: Path
    markdown: str
    html: str
    findings: list
    create: bool
    """The folder does not exist yet: writing makes it."""

    figures: dict = None  # type: ignore[assignment]
    """File name -> standalone SVG of each drawing, written beside the report."""

    @property
    def paths(self) -> tuple[Path, Path]:
        return self.folder / REPORT_MD, self.folder / REPORT_HTML


def check_folder(folder: str | Path, *, force: bool, made: tuple[Path, ...] = ()) -> Path:
    """The folder a report may be written into, or an InputError saying why not (nothing written).

    Like a parameter file, an existing report is replaced only with ``force`` (and kept as
    ``.bak``); a missing folder is made when its parent exists or is one of ``made`` (the
    folders the same run makes first: phase 1's report sits inside the main one).
    """
    from wizard.atomic import check_output

    if not str(folder).strip():
        raise InputError("expected a folder, found an empty name")
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder", file=str(out))
    if out.is_dir():
        for path in (out / REPORT_MD, out / REPORT_HTML, *(out / name for name in FIGURES)):
            check_output(path, force=force)
    elif not (out.parent.is_dir() or out.parent in made):
        raise InputError(f"no folder {str(out.parent)!r} to create the report folder in", file=str(out))
    return out


def prepare_package(folder: str | Path, evaluation: Any, grants: list, rules: list, *,
                    frameworks: list[str] | None = None, context: dict | None = None, preflight: Any = None,
                    force: bool = True, made: tuple[Path, ...] = ()) -> Package:
    """Check where the package goes, evaluate the findings and render both files; nothing is
    written, so a run with several packages decides all of them before writing any."""
    from wizard.findings import evaluate_findings

    out = check_folder(folder, force=force, made=made)
    from wizard.findings.access_analyzer import analyzer_findings

    # AWS's findings (the preflight's IAM Access Analyzer step, when it ran) join ours, marked as AWS's.
    findings = evaluate_findings(evaluation, grants, rules, frameworks or None) + analyzer_findings(preflight)
    if frameworks:
        context = {**(context or {}), "frameworks": list(frameworks)}
    markdown, html_text, figures = render_package(evaluation, grants, rules, findings, context=context or None,
                                                  preflight=preflight)
    return Package(out, markdown, html_text, findings, create=not out.is_dir(), figures=figures)


def write_packages(packages: list[Package], *, force: bool = True) -> None:
    """Write packages ``prepare_package`` checked, in order (a folder before the ones inside it),
    each file atomically and readable by its owner only (a report names every principal and
    policy of the account)."""
    from wizard.atomic import write_output

    for package in packages:
        try:
            if package.create:
                package.folder.mkdir(mode=0o700)
            for path, text in zip(package.paths, (package.markdown, package.html)):
                write_output(path, text, mode=0o600, force=force)
            for name, text in (package.figures or {}).items():
                write_output(package.folder / name, text, mode=0o600, force=force)
        except OSError as exc:
            raise InputError(f"cannot write the report: {exc.strerror or exc}", file=str(package.folder)) from None


def write_package(folder: str | Path, evaluation: Any, grants: list, rules: list, *,
                  frameworks: list[str] | None = None, context: dict | None = None,
                  preflight: Any = None, force: bool = True) -> tuple[tuple[Path, Path], list]:
    """Evaluate the findings, render and write the whole package into ``folder``.

    Returns the two paths and the findings; a folder that cannot be written is an InputError.
    Used by the wizard's "write security report"; ``quilt-wizard report`` prepares every
    package of its run first (``prepare_package``), then writes them (``write_packages``).
    """
    package = prepare_package(folder, evaluation, grants, rules, frameworks=frameworks, context=context,
                              preflight=preflight, force=force)
    write_packages([package], force=force)
    return package.paths, package.findings


def deployment_context(deployment: Any) -> dict[str, Any]:
    """What the report records of a wizard run: the mode, the answers, the frameworks."""
    return {"mode": deployment.mode, "answers": dict(deployment.plan.answers),
            "frameworks": list(deployment.plan.answers.get("frameworks") or ())}
