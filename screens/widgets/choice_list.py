"""A list of choices to pick from with the keyboard: arrows, number keys 1-9, space.

For a single-choice question the highlight is the candidate (Enter, handled by the screen,
confirms it) and a filled dot marks the answer in force. For a several-choice question space,
a click or a number key ticks or unticks the highlighted choice. Each choice shows its
trade-off under its label. Enter is deliberately not bound here: it belongs to the screen
(Next).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from screens.widgets.hanging import hanging


@dataclass(frozen=True)
class ChoiceItem:
    """One choice: the value it records, its label and the trade-off shown under it."""

    value: str
    label: str
    detail: str = ""


class ChoiceList(OptionList, inherit_bindings=False):
    """Choices with number keys; ``multiple`` for tick boxes."""

    BINDINGS = [
        Binding("down", "cursor_down", "Down", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("space", "select", "Tick", show=False),
        Binding("1", "pick(1)", "Pick", key_display="1-9"),
        *(Binding(str(n), f"pick({n})", "Pick", show=False) for n in range(2, 10)),
    ]
    """Arrows move, 1-9 jump to (and for several-choice questions tick) a choice, space ticks."""

    class Changed(Message):
        """The ticked set of a several-choice list changed."""

        def __init__(self, choice_list: "ChoiceList") -> None:
            super().__init__()
            self.choice_list = choice_list

        @property
        def control(self) -> "ChoiceList":
            return self.choice_list

    def __init__(self, items: Iterable[ChoiceItem], *, current: str | Iterable[str] | None = None,
                 multiple: bool = False, current_note: str = "in force", **kwargs) -> None:
        self.items = tuple(items)
        self.current_note = current_note
        self.multiple = multiple
        self.current = None if multiple else current
        self.checked: set[str] = set(current or ()) if multiple else set()
        self._wrapped_at = 0  # the width prompts are wrapped at; 0 until the first resize
        super().__init__(*(Option(self._prompt(i), id=f"choice-{i}") for i in range(len(self.items))), **kwargs)
        values = [item.value for item in self.items]
        if not multiple and current in values:
            self.highlighted = values.index(current)

    def _prompt(self, index: int) -> Content:
        """Number, marker and label; the trade-off under the label (hanging, at the list's width)."""
        item = self.items[index]
        if self.multiple:
            marker = "[x]" if item.value in self.checked else "[ ]"
        else:
            marker = "●" if item.value == self.current else "○"
        number = f"{index + 1} " if index < 9 else "  "
        prefix = Content.assemble((number, "$text-muted"), (f"{marker} ", "bold"))
        label: list = [(item.label, "bold")]
        if not self.multiple and item.value == self.current:
            label.append((f"  ({self.current_note})", "italic"))
        rows = hanging(prefix, Content.assemble(*label), self._wrapped_at)
        if item.detail:
            rows += hanging(" " * prefix.cell_length, Content.styled(item.detail, "italic"), self._wrapped_at)
        return Content("\n").join(rows)

    @property
    def _width(self) -> int:
        if not self.scrollable_content_region:
            return 0
        padding = self.get_component_styles("option-list--option").padding
        return self.scrollable_content_region.width - self._get_left_gutter_width() - padding.width

    def on_resize(self) -> None:
        if self._width != self._wrapped_at:
            self._wrapped_at = self._width
            for index in range(len(self.items)):
                self.replace_option_prompt_at_index(index, self._prompt(index))

    follower: "Callable[[ChoiceList], None] | None" = None
    """Told of each highlight change at once, before the frame that shows it is painted (the
    ``OptionHighlighted`` message arrives after it): the question screen's panel follows the
    highlight in the same frame."""

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        if self.follower is not None and highlighted is not None:
            self.follower(self)

    @property
    def highlighted_value(self) -> str | None:
        return None if self.highlighted is None else self.items[self.highlighted].value

    @property
    def checked_values(self) -> list[str]:
        """Ticked values in the order of the choices."""
        return [item.value for item in self.items if item.value in self.checked]

    def label_of(self, value: str) -> str:
        return next((item.label for item in self.items if item.value == value), value)

    def toggle(self, index: int) -> None:
        value = self.items[index].value
        self.checked.symmetric_difference_update({value})
        self.replace_option_prompt_at_index(index, self._prompt(index))
        self.post_message(self.Changed(self))

    def action_pick(self, number: int) -> None:
        """Highlight choice ``number`` (1-based); tick it on a several-choice list."""
        if number > len(self.items):
            return
        self.highlighted = number - 1
        if self.multiple:
            self.toggle(number - 1)

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if self.multiple:
            event.stop()
            self.toggle(event.option_index)
