"""The network flows drawn as an SVG picture: no script, no external reference, one self-contained element.

The customer asked for "network diagrams showing exactly what traffic flows where". The HTML
report embeds this drawing; the Markdown report keeps the Mermaid source. The drawing is built
from the same flows (``wizard.findings.flows``), laid out left to right in columns by how many
hops a node is from where traffic enters:

- the **internet** appears only where a security group admits ``0.0.0.0/0`` or ``::/0`` (and a
  load balancer is internet-facing); its box and its arrows are red, and everything else sits
  inside a dashed boundary, the stack's VPC;
- clients admitted by a group outside the template, load balancers, target groups, tasks and
  security groups are boxes; egress to ``0.0.0.0/0`` on 443 is "AWS APIs (and the internet)";
- an egress to ``127.0.0.1/32`` (the template's way of saying "no egress") is not drawn.

Every label is escaped; the text is the template's logical ids, so a reader can find each box
in the policies and network-rule tables of the report.
"""

from __future__ import annotations

from html import escape

from wizard.findings.flows import INTERNET, Flow

_PUBLIC = ("0.0.0.0/0", "::/0")
_NOWHERE = "127.0.0.1/32"
_BOX_W, _BOX_H, _COL_GAP, _ROW_GAP, _MARGIN = 220, 44, 90, 22, 24
_EGRESS = "AWS APIs and the internet (egress)"


def _node(name: str, as_target: bool) -> str:
    """The box a flow end belongs to: open CIDRs become the internet or the egress box."""
    if name in _PUBLIC:
        return _EGRESS if as_target else INTERNET
    return name


def drawable(found: list[Flow]) -> list[tuple[str, str, str, bool]]:
    """(source box, target box, label, from the internet) for each flow worth drawing."""
    merged: dict[tuple[str, str], tuple[list[str], bool]] = {}
    for flow in found:
        if flow.target == _NOWHERE:
            continue
        source, target = _node(flow.source, False), _node(flow.target, True)
        labels, public = merged.setdefault((source, target), ([], False))
        if flow.label not in labels:
            labels.append(flow.label)
        merged[(source, target)] = (labels, public or flow.public or source == INTERNET)
    return [(source, target, ", ".join(labels), public) for (source, target), (labels, public) in merged.items()]


def _columns(edges: list[tuple[str, str, str, bool]]) -> dict[str, int]:
    """Column of each box: 0 for boxes nothing points at, then one more than the box before."""
    nodes = list(dict.fromkeys(n for source, target, *_ in edges for n in (source, target)))
    incoming: dict[str, set[str]] = {n: set() for n in nodes}
    for source, target, *_ in edges:
        if source != target:
            incoming[target].add(source)
    column = {n: 0 for n in nodes}
    for _ in range(len(nodes)):  # longest path, bounded so a cycle cannot loop for ever
        changed = False
        for node in nodes:
            best = max((column[s] + 1 for s in incoming[node]), default=0)
            best = min(best, 6)
            if best > column[node]:
                column[node], changed = best, True
        if not changed:
            break
    if INTERNET in column:  # outside the boundary, alone on the left
        column = {n: (c + 1 if n != INTERNET else 0) for n, c in column.items()}
    if _EGRESS in column:  # outside the boundary, alone on the right
        last = max(c for n, c in column.items() if n != _EGRESS)
        outgoing: dict[str, set[str]] = {}
        for source, target, *_ in edges:
            outgoing.setdefault(source, set()).add(target)
        for node, targets in outgoing.items():  # a group that only opens egress sits beside it
            if targets == {_EGRESS} and not incoming[node] and node != INTERNET:
                column[node] = max(last, 1)
        column[_EGRESS] = max(c for n, c in column.items() if n != _EGRESS) + 1
    return column


def _wrap(text: str, width: int = 30) -> list[str]:
    """``text`` in lines of about ``width`` characters, broken at spaces and after ``/``; every
    character kept (a word longer than the width is a line of its own, never cut)."""
    words, lines, line = text.replace("/", "/ ").split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip() if not line.endswith("/") else f"{line}{word}"
        if len(candidate) > width and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return [part.replace("/ ", "/") for part in lines] or [""]


def _head(start: tuple[int, int], end: tuple[int, int], size: float = 8.0) -> str:
    """The three points of an arrow head at ``end``, pointing away from ``start``."""
    import math

    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    back = (end[0] - ux * size, end[1] - uy * size)
    left = (back[0] - uy * size / 2, back[1] + ux * size / 2)
    right = (back[0] + uy * size / 2, back[1] - ux * size / 2)
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in (end, left, right))


def svg(found: list[Flow], title: str = "Network flows") -> str:
    """The flows as one ``<svg>`` element; empty string when there is nothing to draw."""
    edges = drawable(found)
    if not edges:
        return ""
    column = _columns(edges)
    # Every name is drawn whole: the boxes are as tall as the longest name needs.
    box_h = max(_BOX_H, 18 + 13 * max(len(_wrap(n)) for e in edges for n in e[:2]))
    by_column: dict[int, list[str]] = {}
    for node, index in column.items():
        by_column.setdefault(index, []).append(node)
    position: dict[str, tuple[int, int]] = {}
    for index, members in sorted(by_column.items()):
        for row, node in enumerate(sorted(members, key=lambda n: (n != INTERNET, n))):
            position[node] = (_MARGIN + 20 + index * (_BOX_W + _COL_GAP), _MARGIN + 40 + row * (box_h + _ROW_GAP))
    width = max(x for x, _ in position.values()) + _BOX_W + _MARGIN + 20
    height = max(y for _, y in position.values()) + box_h + _MARGIN + 20
    # Inline in HTML5, the element needs no namespace; arrow heads are drawn, not referenced, so
    # the drawing holds no url() at all.
    parts = [f'<svg class="network" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="system-ui,sans-serif" font-size="11">',
             f"<title>{escape(title)}</title>"]
    inside = [n for n in position if n not in (INTERNET, _EGRESS)]
    if inside:
        left = min(position[n][0] for n in inside) - 12
        top = min(position[n][1] for n in inside) - 26
        right = max(position[n][0] for n in inside) + _BOX_W + 12
        bottom = max(position[n][1] for n in inside) + box_h + 12
        parts.append(f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" rx="8" '
                     f'fill="none" stroke="#2f5fd0" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{left + 8}" y="{top + 16}" fill="#2f5fd0" font-weight="600">Trust boundary: the '
                     f'stack in its VPC</text>')
    labels: list[str] = []  # drawn last, over lines and boxes, each on a white plate
    for index, (source, target, label, public) in enumerate(edges):
        (x1, y1), (x2, y2) = position[source], position[target]
        if x2 > x1:
            start, end = (x1 + _BOX_W, y1 + box_h // 2), (x2, y2 + box_h // 2)
        elif x2 < x1:
            start, end = (x1, y1 + box_h // 2), (x2 + _BOX_W, y2 + box_h // 2)
        else:
            start, end = (x1 + _BOX_W // 2, y1 + box_h), (x2 + _BOX_W // 2, y2)
        colour, stroke = ("#c0392b", 2.5) if public else ("#4a5468", 1.2)
        parts.append(f'<line x1="{start[0]}" y1="{start[1]}" x2="{end[0]}" y2="{end[1]}" stroke="{colour}" '
                     f'stroke-width="{stroke}"><title>{escape(f"{source} -> {target}: {label}")}</title></line>')
        parts.append(f'<polygon points="{_head(start, end)}" fill="{colour}"/>')
        along = 0.35 + 0.3 * (index % 2)  # alternate label positions so neighbouring edges do not collide
        mid_x = int(start[0] + (end[0] - start[0]) * along)
        mid_y = int(start[1] + (end[1] - start[1]) * along) - 4
        rows = _wrap(label, 32)  # a long label wraps onto more lines, never cut
        width = int(max(len(r) for r in rows) * 5.6) + 6
        labels.append(f'<rect x="{mid_x - width // 2}" y="{mid_y - 10}" width="{width}" height="{13 * len(rows)}" '
                      f'rx="2" fill="#ffffff" fill-opacity="0.85"/>')
        spans = "".join(f'<tspan x="{mid_x}" dy="{0 if i == 0 else 12}">{escape(r)}</tspan>'
                        for i, r in enumerate(rows))
        labels.append(f'<text x="{mid_x}" y="{mid_y}" text-anchor="middle" fill="{colour}" font-size="10">'
                      f"{spans}</text>")
    for node, (x, y) in position.items():
        public = node == INTERNET
        fill, stroke = ("#fdecea", "#c0392b") if public else (("#eef6ee", "#3c8d40") if node == _EGRESS
                                                                else ("#eef1f6", "#4a5468"))
        parts.append(f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{box_h}" rx="5" fill="{fill}" '
                     f'stroke="{stroke}"/>')
        lines = _wrap(node)  # one text, a line a tspan: a name wrapped over lines is still one name
        middle = x + _BOX_W // 2
        spans = "".join(f'<tspan x="{middle}" dy="{0 if index == 0 else 13}">{escape(line)}</tspan>'
                        for index, line in enumerate(lines))
        parts.append(f'<text x="{middle}" y="{y + box_h // 2 + 4 - (len(lines) - 1) * 6}" '
                     f'text-anchor="middle">{spans}</text>')
    parts += labels
    parts.append("</svg>")
    return "\n".join(parts)
