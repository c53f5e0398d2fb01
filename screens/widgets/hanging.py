"""Hanging indents: wrap a line so its continuation lines start under its text, not at column 0.

The diff panel and the choice list show long lines (ARNs, action lists, trade-offs); wrapped
at the widget's width, a continuation line that starts at the margin hides the ``+``/``-``
and the numbers that make the list scannable.
"""

from __future__ import annotations

from textual.content import Content


def hanging(prefix: Content | str, body: Content | str, width: int) -> list[Content]:
    """``prefix`` then ``body`` wrapped to ``width`` cells, continuation lines indented under the body."""
    prefix = Content(prefix) if isinstance(prefix, str) else prefix
    body = Content(body) if isinstance(body, str) else body
    indent = prefix.cell_length
    if width <= indent + 8:
        return [Content.assemble(prefix, body)]
    lines = body.wrap(width - indent) or [Content("")]
    return [Content.assemble(prefix if n == 0 else " " * indent, line) for n, line in enumerate(lines)]
