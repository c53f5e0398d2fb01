"""The review screen stays readable from 80 columns up: every question title, answer label,
parameter name and value is shown whole, wrapped only between words, never cut or cropped."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widgets import Static

from screens.app import build_app
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, settle


def _lines(widget: Static) -> list[str]:
    """The lines the widget renders, padding included, as the terminal shows them."""
    return [strip.text.strip() for strip in widget.render_lines(Region(0, 0, *widget.outer_size))]


def _shown_whole(text: str, widget: Static, screen_width: int) -> None:
    """``text`` is on screen entire: each word that fits a line is whole on one line, a longer one
    (an ARN) runs on over the next lines with nothing dropped, and no line leaves the screen."""
    assert widget.region.right <= screen_width, (text, widget.region)
    lines = _lines(widget)
    assert "".join("".join(lines).split()) == "".join(text.split()), (text, lines)  # nothing lost
    width = widget.content_size.width
    on_lines = {word for line in lines for word in line.split()}
    for word in text.split():
        if len(word) <= width:
            assert word in on_lines, (word, text, lines)  # never cut mid-word


def _rows(container) -> list[tuple[Static, Static]]:
    """The (label, value) widgets of a review section, in order."""
    widgets = list(container.query(Static))
    return list(zip(widgets[0::2], widgets[1::2]))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_answer_and_parameter_is_shown_whole(tmp_path, size):
    app = build_app(out=tmp_path / "p.json", settings={**EMBEDDED_REQUIRED, "AdminPassword": "correct-horse-battery"})
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await advance_to(pilot, "frameworks")
        await pilot.press("space", "down", "space")  # two frameworks: a longer label
        await advance_to(pilot, "review")
        screen = app.screen
        width = size[0]

        answers = screen._answers()
        assert len(answers) >= 10 and ("Which compliance frameworks must the deployment meet?", "SOC 2, HIPAA") in answers
        rows = _rows(screen.query_one("#review-answers"))
        assert [(str(t.render()), str(a.render())) for t, a in rows] == answers
        for (title, label), (title_widget, label_widget) in zip(answers, rows):
            _shown_whole(title, title_widget, width)
            _shown_whole(label, label_widget, width)
            assert label_widget.content_size.width >= min(len(label), 60), label  # room to read it

        parameters = screen._parameters()
        rows = _rows(screen.query_one("#review-parameters"))
        assert len(rows) == len(parameters)
        for (name, value, note), (name_widget, value_widget) in zip(parameters, rows):
            _shown_whole(name, name_widget, width)
            _shown_whole(value + note, value_widget, width)
