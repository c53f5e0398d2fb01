"""A layered graph layout drawn as SVG, sized from the text it holds.

The report's drawings (the network flows and the permission map) are directed graphs: this
module places them the way layered ("Sugiyama") layouts do, without fixed coordinates:

1. **layers**: a node's layer is its longest distance from a node nothing points at (a cycle is
   cut, not followed), and a node may be pinned to the first or the last layer;
2. **order**: within a layer the nodes are sorted by the mean position of their neighbours in the
   layer before, then after (barycentre sweeps), which removes most crossings;
3. **sizes**: each box is as wide as its longest line and as tall as its lines, measured with the
   advance widths of DejaVu Sans (the font named first; Verdana and Bitstream Vera share its
   metrics), so nothing is cut;
4. **labels**: an edge's label sits in the gap after its source's layer, on a white plate; the
   plates of a gap are stacked so none overlaps another, and the gap is as wide as its widest
   label. The edge is drawn through its plate.

No third-party layout package: the report must build with the project's own dependencies. Every
text is escaped; the drawing holds no script and references nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

FONT = "DejaVu Sans, Verdana, Bitstream Vera Sans, sans-serif"
SIZE, LABEL_SIZE, LINE, LABEL_LINE = 11.0, 10.0, 14, 12
PAD_X, PAD_Y, ROW_GAP, MIN_GAP, MARGIN, TOP = 10, 8, 16, 48, 20, 44

# Advance widths of DejaVu Sans in em, for the characters the report draws; others count 1 em.
_NARROW = {"i": .278, "j": .278, "l": .278, "I": .295, "J": .295, " ": .318, ".": .318, ",": .318, ":": .337,
           ";": .337, "/": .337, "|": .337, "'": .275, "f": .352, "-": .361, "t": .392, "(": .39, ")": .39,
           "[": .39, "]": .39, "r": .411, "!": .4, '"': .46, "*": .5, "_": .5, "s": .521, "z": .525, "?": .531,
           "c": .55, "L": .557, "F": .575, "k": .579, "v": .592, "x": .592, "y": .592, "P": .603, "T": .611,
           "Y": .611, "e": .615, "o": .612, "a": .613, "E": .632, "h": .634, "n": .634, "u": .634, "S": .635,
           "b": .635, "d": .635, "g": .635, "p": .635, "q": .635, "$": .636, "{": .636, "}": .636, "K": .656,
           "A": .684, "V": .684, "X": .685, "Z": .685, "B": .686, "R": .695, "C": .698, "U": .732, "H": .752,
           "N": .748, "D": .77, "G": .775, "O": .787, "Q": .787, "&": .78, "w": .818, "M": .863, "=": .838,
           "+": .838, "<": .838, ">": .838, "#": .838, "%": .95, "m": .974, "W": .989, "@": 1.0}
_SAFETY = 1.06


def text_width(text: str, size: float = SIZE, bold: bool = False) -> float:
    """The width ``text`` takes in the drawing's font, a little generous."""
    em = sum(_NARROW.get(c, .636 if c.isdigit() else 1.0) for c in text)
    return em * size * _SAFETY * (1.08 if bold else 1.0)


def wrap(text: str, width: int = 34) -> list[str]:
    """``text`` in lines of about ``width`` characters, broken at spaces, after ``/`` or ``,``;
    every character kept (a word longer than the width is a line of its own, never cut)."""
    words, lines, line = text.replace("/", "/\x00").replace(",", ",\x00").replace(" ", "\x00 ").split("\x00"), [], ""
    for word in words:
        candidate = line + word
        if len(candidate.strip()) > width and line.strip():
            lines.append(line.strip())
            line = word
        else:
            line = candidate
    if line.strip():
        lines.append(line.strip())
    return lines or [""]


@dataclass
class Node:
    """A box: its lines (the first is its name, drawn bold), its style and its pinned layer."""

    id: str
    lines: list[str]
    style: str = "plain"
    pin: str = ""  # "first", "last" or ""
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    layer: int = 0


@dataclass
class Edge:
    source: str
    target: str
    label: str = ""
    style: str = "plain"
    title: str = ""
    plate: tuple[float, float, float, float] | None = None
    rows: list[str] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)


STYLES = {  # fill, stroke, text colour, line width, dashed
    "plain": ("#eef1f6", "#4a5468", "#1d2330", 1.2, False),
    "public": ("#fdecea", "#c0392b", "#8e1b12", 2.5, False),
    "outside": ("#fdecea", "#c0392b", "#8e1b12", 1.6, False),
    "egress": ("#eef6ee", "#3c8d40", "#1d2330", 1.2, False),
    "service": ("#f4f0fa", "#6c4f9c", "#1d2330", 1.2, False),
    "guarded": ("#eef6ee", "#3c8d40", "#1d2330", 1.2, False),
    "escalation": ("#fdecea", "#c0392b", "#c0392b", 2.2, True),
}


def _layers(nodes: dict[str, Node], edges: list[Edge]) -> None:
    incoming: dict[str, set[str]] = {n: set() for n in nodes}
    for edge in edges:
        if edge.source != edge.target:
            incoming[edge.target].add(edge.source)
    for node in nodes.values():
        node.layer = 0
    for _ in range(len(nodes)):  # longest path; a cycle is cut by the bound
        changed = False
        for name, node in nodes.items():
            if node.pin:
                continue
            best = min(max((nodes[s].layer + 1 for s in incoming[name] if nodes[s].pin != "last"), default=0), 8)
            if best > node.layer:
                node.layer, changed = best, True
        if not changed:
            break
    firsts = [n for n in nodes.values() if n.pin == "first"]
    if firsts:
        for node in nodes.values():
            node.layer = 0 if node.pin == "first" else node.layer + 1
    inner = [n.layer for n in nodes.values() if n.pin != "last"]
    for node in nodes.values():
        if node.pin == "last":
            node.layer = (max(inner) if inner else 0) + 1


def _order(nodes: dict[str, Node], edges: list[Edge]) -> list[list[Node]]:
    layers: dict[int, list[Node]] = {}
    for node in nodes.values():
        layers.setdefault(node.layer, []).append(node)
    ordered = [sorted(layers.get(i, []), key=lambda n: (n.style != "public", n.id)) for i in range(max(layers) + 1)]
    neighbours: dict[str, list[str]] = {n: [] for n in nodes}
    for edge in edges:
        neighbours[edge.source].append(edge.target)
        neighbours[edge.target].append(edge.source)
    for sweep in range(6):
        rank = {n.id: i for layer in ordered for i, n in enumerate(layer)}
        indices = range(1, len(ordered)) if sweep % 2 == 0 else range(len(ordered) - 2, -1, -1)
        for index in indices:
            near = index - 1 if sweep % 2 == 0 else index + 1

            def centre(node: Node) -> float:
                others = [rank[m] for m in neighbours[node.id] if nodes[m].layer == near]
                return sum(others) / len(others) if others else rank[node.id]
            ordered[index] = sorted(ordered[index], key=centre)
    return ordered


def layout(nodes: dict[str, Node], edges: list[Edge]) -> tuple[float, float]:
    """Place every node and label; returns the drawing's (width, height)."""
    _layers(nodes, edges)
    ordered = _order(nodes, edges)
    for node in nodes.values():
        node.w = max(120.0, max(text_width(line, SIZE, i == 0) for i, line in enumerate(node.lines)) + 2 * PAD_X)
        node.h = len(node.lines) * LINE + 2 * PAD_Y
    for edge in edges:
        edge.rows = wrap(edge.label, 36) if edge.label else []
    gap_of: dict[int, list[Edge]] = {}
    for edge in edges:
        a, b = nodes[edge.source].layer, nodes[edge.target].layer
        edge_gap = a if a < b else (b if a > b else a)
        gap_of.setdefault(edge_gap, []).append(edge)
    widths = [max(n.w for n in layer) if layer else 0 for layer in ordered]
    gaps = []
    for index in range(len(ordered)):
        labels = [max(text_width(r, LABEL_SIZE) for r in e.rows) + 8 for e in gap_of.get(index, []) if e.rows]
        gaps.append(max([MIN_GAP] + [w + 28 for w in labels]))
    x = float(MARGIN)
    columns = []
    for index, layer in enumerate(ordered):
        columns.append(x)
        y = float(TOP)
        for node in layer:
            node.x, node.y = x + (widths[index] - node.w) / 2, y
            y += node.h + ROW_GAP
        x += widths[index] + gaps[index]
    bottom = max((n.y + n.h for n in nodes.values()), default=TOP)
    for index, members in gap_of.items():
        left = columns[index] + widths[index]
        middle = left + gaps[index] / 2
        placed: list[tuple[float, Edge]] = []
        for edge in members:
            source, target = nodes[edge.source], nodes[edge.target]
            wanted = (source.y + source.h / 2 + target.y + target.h / 2) / 2 if source.layer != target.layer \
                else source.y + source.h / 2
            placed.append((wanted, edge))
        floor = float(TOP)
        for wanted, edge in sorted(placed, key=lambda p: (p[0], p[1].source, p[1].target)):
            source, target = nodes[edge.source], nodes[edge.target]
            start = (source.x + source.w, source.y + source.h / 2) if source.layer <= target.layer \
                else (source.x, source.y + source.h / 2)
            end = (target.x, target.y + target.h / 2) if source.layer < target.layer \
                else (target.x + target.w, target.y + target.h / 2)
            if not edge.rows:
                edge.points = [start, end]
                continue
            width = max(text_width(r, LABEL_SIZE) for r in edge.rows) + 8
            height = len(edge.rows) * LABEL_LINE + 6
            top = max(wanted - height / 2, floor)
            floor = top + height + 6
            edge.plate = (middle - width / 2, top, width, height)
            near, far = (middle - width / 2, top + height / 2), (middle + width / 2, top + height / 2)
            edge.points = [start, far, near, end] if source.layer > target.layer else [start, near, far, end]
            bottom = max(bottom, top + height)
    last = len(ordered) - 1
    right = x if any(e.rows for e in gap_of.get(last, [])) or gap_of.get(last) else x - gaps[last]
    return right + MARGIN, bottom + MARGIN


def _head(start: tuple[float, float], end: tuple[float, float], size: float = 8.0) -> str:
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    back = (end[0] - ux * size, end[1] - uy * size)
    left = (back[0] - uy * size / 2, back[1] + ux * size / 2)
    right = (back[0] + uy * size / 2, back[1] - ux * size / 2)
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in (end, left, right))


def render(nodes: dict[str, Node], edges: list[Edge], *, title: str, css_class: str,
           boundary: tuple[str, set[str]] | None = None) -> str:
    """The laid-out graph as one ``<svg>`` element (``boundary``: a dashed frame titled with its
    first part around the nodes of its second)."""
    width, height = layout(nodes, edges)
    parts = [f'<svg class="{css_class}" role="img" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="{SIZE:g}">',
             f"<title>{escape(title)}</title>"]
    if boundary:
        inside = [nodes[n] for n in boundary[1] if n in nodes]
        if inside:
            left, right = min(n.x for n in inside) - 10, max(n.x + n.w for n in inside) + 10
            top, low = TOP - 10, max(n.y + n.h for n in inside) + 10
            parts.append(f'<rect class="boundary" x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" '
                         f'height="{low - top:.1f}" rx="8" fill="none" stroke="#2f5fd0" stroke-dasharray="6 4"/>')
            parts.append(f'<text class="caption" x="{left:.1f}" y="{TOP - 18}" fill="#2f5fd0" font-weight="600">'
                         f"{escape(boundary[0])}</text>")
    for edge in edges:
        _, stroke, _, line_width, dashed = STYLES.get(edge.style, STYLES["plain"])
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in edge.points)
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        parts.append(f'<polyline points="{points}" fill="none" stroke="{stroke}" stroke-width="{line_width}"{dash}>'
                     f"<title>{escape(edge.title or f'{edge.source} -> {edge.target}: {edge.label}')}</title>"
                     f"</polyline>")
        parts.append(f'<polygon points="{_head(edge.points[-2], edge.points[-1])}" fill="{stroke}"/>')
    for node in nodes.values():
        fill, stroke, colour, _, _ = STYLES.get(node.style, STYLES["plain"])
        parts.append(f'<rect class="node" x="{node.x:.1f}" y="{node.y:.1f}" width="{node.w:.1f}" '
                     f'height="{node.h:.1f}" rx="5" fill="{fill}" stroke="{stroke}"/>')
        middle = node.x + node.w / 2
        spans = "".join(f'<tspan x="{middle:.1f}" y="{node.y + PAD_Y + LINE * (i + 1) - 3:.1f}"'
                        + (' font-weight="700"' if i == 0 else "") + f">{escape(line)}</tspan>"
                        for i, line in enumerate(node.lines))
        parts.append(f'<text class="node-text" text-anchor="middle" fill="{colour}">{spans}</text>')
    for edge in edges:
        if not edge.plate:
            continue
        x, y, w, h = edge.plate
        _, stroke, colour, _, _ = STYLES.get(edge.style, STYLES["plain"])
        parts.append(f'<rect class="label" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="2" '
                     f'fill="#ffffff" stroke="{stroke}" stroke-width="0.6"/>')
        spans = "".join(f'<tspan x="{x + w / 2:.1f}" y="{y + 3 + LABEL_LINE * (i + 1) - 2:.1f}">{escape(r)}</tspan>'
                        for i, r in enumerate(edge.rows))
        parts.append(f'<text class="label-text" text-anchor="middle" font-size="{LABEL_SIZE:g}" '
                     f'fill="{colour}">{spans}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
