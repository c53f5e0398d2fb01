"""The live panel: the risk a choice changes first, then the IAM grants and network openings
it adds (+) or removes (-).

The first lines give the change in findings by severity (``-1 critical -1 high +1 low``, the
critical and high ones named; the core's ``wizard.flow.risk``), one ``Stops: FEATURE`` line per
Quilt feature the choice stops (``wizard.flow.stops``), and for "harden after" each
phase's findings against the baseline. Then the grants, grouped by principal (the core's ``PermissionDiff.grouped``), each grant described by the core
(``describe_grant``, with its access-level badges), network rules after the grants, and the
summary line of ``PermissionDiff.summary()`` with WEAKENING and BROADENING highlighted, each
weakening and security gain with its reason under it; an ARN prefix that
repeats (``arn:aws:iam::123456789012:``) is shown once and shortened to ``…`` in the lines. Colours are theme
variables, so the panel reads well in the light and the dark theme. Long lines wrap with a
hanging indent, re-wrapped when the panel is resized.

A preview's lines are built by ``preview_lines`` (thread-safe, remembered per preview), so the
workers that compute previews build them too; while a candidate's preview is computed the panel
shows its title and ``PENDING`` (``show_pending``). The panel keeps the plain text it shows in
``plain``, for tests and for copying.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import Sequence

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from wizard.flow.session import Preview
from screens.widgets.hanging import hanging
from wizard.iam.diff import GrantChange, PermissionDiff, RuleChange
from wizard.flow.risk import RiskChange, name_of, posture_text, serious
from wizard.flow.terminal import describe_grant

ADDED, REMOVED = "$text-success", "$text-error"
BROADENING_STYLE = "bold $text-warning"
VERDICT_STYLE = "bold reverse $text-warning"

#: One displayed line: a prefix (kept on the first row) and a body (wrapped under itself).
Line = tuple[Content, Content]
BLANK: Line = (Content(""), Content(""))


def _line(*parts: tuple[str, str] | str, prefix: str | Content = "") -> Line:
    return (Content(prefix) if isinstance(prefix, str) else prefix, Content.assemble(*parts))


def _change(sign: str, text: str, change: GrantChange | RuleChange) -> Line:
    style = ADDED if sign == "+" else REMOVED
    parts: list = [(text, style)]
    if change.broadening:
        parts.append(("  broadening", BROADENING_STYLE))
    return _line(*parts, prefix=Content.styled(f"  {sign} ", f"bold {style}"))


def summary_line(diff: PermissionDiff) -> Line:
    """The verdict line, WEAKENING and BROADENING in reverse video."""
    parts: list[tuple[str, str]] = []
    for word in diff.summary().split("  "):
        if word in ("WEAKENING", "BROADENING"):
            parts.append((word, VERDICT_STYLE))
        else:
            parts.append((word, "bold"))
        parts.append(("  ", ""))
    return _line(*parts[:-1])


def security_lines(diff: PermissionDiff) -> list[Line]:
    """Each weakening (encryption, TLS, logging, a public scheme) and each security gain, with
    the core's one-line reason: what the grants alone do not say."""
    lines = [_line((change.reason, REMOVED), ("  weakening", BROADENING_STYLE),
                   prefix=Content.styled("  - ", f"bold {REMOVED}")) for change in diff.weakenings]
    lines += [_line((change.reason, ADDED), prefix=Content.styled("  + ", f"bold {ADDED}"))
              for change in diff.gains]
    return lines


_ARN_PREFIX = re.compile(r"arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:")
SHORT = "…"
"""What a long ARN prefix shared by the lines is shortened to (the prefix is shown once)."""


def shorten(texts: list[str]) -> tuple[list[str], str | None]:
    """Replace the most common ``arn:partition:service:region:account:`` prefix by ``…:``.

    Returns the texts and the prefix (None when no prefix repeats). The full text stays in
    "show full grants" and ``--json``."""
    counts = Counter(m.group(0) for text in texts for m in _ARN_PREFIX.finditer(text))
    if not counts:
        return texts, None
    prefix, times = counts.most_common(1)[0]
    if times < 2:
        return texts, None
    # Extend it to the longest path the ARNs with that prefix share (up to a '/' or ':').
    arns = [m.group(0) for text in texts for m in re.finditer(re.escape(prefix) + r"[^\s,]*", text)]
    shared = os.path.commonprefix(arns)
    cut = max(shared.rfind("/"), shared.rfind(":")) + 1
    prefix = shared[:cut] if cut > len(prefix) else prefix
    return [text.replace(prefix, SHORT) for text in texts], prefix


def diff_lines(diff: PermissionDiff) -> list[Line]:
    """The changes grouped by principal, then the network changes; a repeated ARN prefix is
    shown once at the top and shortened to ``…`` in the lines."""
    rows: list[tuple[str, str, GrantChange | RuleChange | None]] = []
    for principal, members in diff.grouped().items():
        rows.append(("", principal, None))
        rows += [(sign, describe_grant(c.grant), c) for sign, c in members]
    if diff.network_added or diff.network_removed:
        rows.append(("", "Network", None))
        for sign, rule_changes in (("-", diff.network_removed), ("+", diff.network_added)):
            rows += [(sign, c.rule.describe(), c) for c in rule_changes]
    texts, prefix = shorten([text for _, text, _ in rows])
    lines: list[Line] = []
    if prefix:
        lines.append(_line((f"{SHORT} stands for {prefix}", "$text-muted")))
    for (sign, _, change), text in zip(rows, texts):
        lines.append(_line((text, "bold")) if change is None else _change(sign, text, change))
    return lines


def posture_lines(posture: RiskChange) -> list[Line]:
    """The change in findings by severity, the critical and high ones named: the risk first."""
    style = "bold $text-error" if posture.worsens else "bold $text-success" if not posture.empty else "bold"
    lines = [_line(("Findings: ", "bold"), (posture.text(), style))]
    for sign, finding in posture.named():
        colour = REMOVED if sign == "+" else ADDED  # a finding that goes is good news
        lines.append(_line((f"{finding.severity.upper()} {name_of(finding)}", colour),
                           prefix=Content.styled(f"  {sign} ", f"bold {colour}")))
    return lines


def stop_lines(stops: Sequence[tuple[str, bool]]) -> list[Line]:
    """One line per Quilt feature the choice stops, under the risk; a loss no option means is
    marked collateral."""
    lines = []
    for feature, collateral in stops:
        parts: list = [("Stops: ", f"bold {REMOVED}"), (feature, REMOVED)]
        if collateral:
            parts.append(("  collateral", BROADENING_STYLE))
        lines.append(_line(*parts))
    return lines


def phase_lines(phases) -> list[Line]:
    """Each phase of "harden after": its change against the baseline and its findings."""
    lines: list[Line] = []
    for phase in phases:
        lines.append(_line((f"{phase.label}: ", "bold"), (f"findings {posture_text(phase.findings)}", "bold"),
                           (f"; against the baseline {phase.against_baseline}", "")))
        for finding in serious(phase.findings):
            lines.append(_line((f"{finding.severity.upper()} {name_of(finding)}", REMOVED), prefix="    "))
    return lines


PENDING = "Computing what this answer changes…"
"""What the panel says under a candidate's title while its preview is computed."""
_BUILT: dict[int, tuple[Preview, list[Line]]] = {}
_BUILT_KEPT = 256


def preview_lines(preview: Preview) -> list[Line]:
    """The panel's lines for ``preview`` (thread-safe, remembered per preview): a worker that
    computes a preview builds its lines too, so the UI thread only lays them out."""
    found = _BUILT.get(id(preview))
    if found is not None and found[0] is preview:
        return found[1]
    lines: list[Line] = [_line((preview.title, "bold $text-accent"))]
    if preview.frameworks:
        lines.append(_line(("Frameworks: " + ", ".join(preview.frameworks), "italic")))
    if preview.problem:
        lines.append(_line((preview.problem, "$text-error"), prefix=Content.styled("Refused: ", "bold $text-error")))
    elif preview.diff is not None:
        if preview.posture is not None:
            lines += posture_lines(preview.posture)
        lines += stop_lines(preview.stops)
        if preview.phases:
            lines += phase_lines(preview.phases)
        lines.append(summary_line(preview.diff))
        lines += security_lines(preview.diff)
        if preview.diff.empty:
            hint = ("The answer in force; move the highlight to see what another choice changes."
                    if preview.is_current else "No IAM or network change compared with the answer in force.")
            lines.append(_line((hint, "$text-muted")))
        else:
            lines.append(BLANK)
            lines += diff_lines(preview.diff)
    if preview.against_baseline and not preview.problem:
        lines.append(BLANK)
        lines.append(_line((f"All answers against the baseline ({preview.baseline_name}): ", "$text-muted"),
                           (preview.against_baseline, "bold")))
    if len(_BUILT) > _BUILT_KEPT:
        _BUILT.clear()
    _BUILT[id(preview)] = (preview, lines)
    return lines


_LAID_OUT: dict[tuple[int, int], tuple[list[Line], Content]] = {}


def laid_out(lines: list[Line], width: int) -> Content:
    """``lines`` wrapped with hanging indents at ``width`` cells, as one Content (thread-safe,
    remembered per list of lines and width: a worker lays out a preview's lines ahead)."""
    found = _LAID_OUT.get((id(lines), width))
    if found is not None and found[0] is lines:
        return found[1]
    rows: list[Content] = []
    for prefix, body in lines:
        rows += hanging(prefix, body, width) if width > 0 else [Content.assemble(prefix, body)]
    content = Content("\n").join(rows)
    if len(_LAID_OUT) > _BUILT_KEPT:
        _LAID_OUT.clear()
    _LAID_OUT[(id(lines), width)] = (lines, content)
    return content


class DiffPanel(VerticalScroll):
    """A scrollable panel showing a permission diff."""

    def __init__(self, title: str = "Permissions and network", **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = title
        self.plain = ""
        self._lines: list[Line] = []
        self.pending: str | None = None
        """The title of the candidate being computed, while the panel says so."""

    def compose(self):
        yield Static(id="diff-body")

    def _show_lines(self, lines: list[Line]) -> None:
        self._lines = lines
        self.plain = "\n".join(prefix.plain + body.plain for prefix, body in lines)
        self._wrap()

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width
        self.query_one("#diff-body", Static).update(laid_out(self._lines, width))

    @property
    def text_width(self) -> int:
        """The width the panel's lines are wrapped at."""
        return self.scrollable_content_region.width

    def on_resize(self) -> None:
        if self._lines:
            self._wrap()

    def show_preview(self, preview: Preview) -> None:
        """What the highlighted choice changes compared with the answers in force."""
        self.pending = None
        self._show_lines(preview_lines(preview))
        self.set_class(bool(preview.diff and (preview.diff.broadening or preview.diff.weakening)), "-broadening")

    def show_pending(self, title: str) -> None:
        """The candidate ``title`` is being computed: its title and ``PENDING``, never the panel
        of the candidate before it."""
        self.pending = title
        self._show_lines([_line((title, "bold $text-accent")), _line((PENDING, "italic $text-muted"))])
        self.set_class(False, "-broadening")

    def show_diff(self, diff: PermissionDiff, heading: str, lead: Sequence[Line] = ()) -> None:
        """A whole diff under a heading (the review screen), after the ``lead`` lines (a fleet
        instance's overrides)."""
        self.pending = None
        lines: list[Line] = [_line((heading, "bold $text-accent")), *lead, summary_line(diff), *security_lines(diff)]
        if not diff.empty:
            lines.append(BLANK)
            lines += diff_lines(diff)
        self._show_lines(lines)
        self.set_class(diff.broadening or diff.weakening, "-broadening")

    def show_message(self, text: str, style: str = "$text-muted") -> None:
        self.pending = None
        self._show_lines([_line((text, style))])
