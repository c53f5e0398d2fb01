"""The line at the top of every wizard screen: where the operator is, and what is deployed where."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class StepHeader(Static):
    """``quilt-wizard · step 3 of 18 · section`` on the left, the target on the right."""

    def __init__(self, where: str, target: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.where = where
        self.target = target

    def render(self) -> Content:
        left = Content.assemble(("quilt-wizard", "bold"), " · ", self.where)
        right = Content.styled(self.target, "$text-muted")
        gap = max(2, self.size.width - left.cell_length - right.cell_length - 2)
        if left.cell_length + right.cell_length + 4 > self.size.width:
            return left
        return Content.assemble(left, " " * gap, right)
