"""``Choices``: every screen's dropdown chooser (a Kivy Spinner) that makes its list of choices
when it opens, not whenever its values change.

Kivy's Spinner makes a button for every value as soon as its values are set. The event viewer's
door chooser holds all 156 doors of the compound and more: setting its values made some 220
buttons, with their kv rules, on the UI thread in one frame (0.3-0.4 s of CPU, measured on the
wall with passages arriving). Here the buttons are made when the officer opens the list, and
only if the values changed since it was last made; what the chooser shows, and its
``text_autoupdate``, follow the values at once as in Kivy's."""

from __future__ import annotations

from typing import Any

from kivy.uix.spinner import Spinner


class Choices(Spinner):
    """A Spinner whose list of choices is made when it opens."""

    _stale = True
    text: str  # Kivy's property, declared for the type checker only

    def _update_dropdown(self, *largs: Any) -> None:
        if self._dropdown is None:
            return
        if self.is_open:
            self._make_choices()
            return
        self._stale = True
        values = self.values
        if self.text_autoupdate:  # as Kivy's Spinner does when the values change
            if values:
                if not self.text or self.text not in values:
                    self.text = values[0]
            else:
                self.text = ""

    def _make_choices(self) -> None:
        self._stale = False
        super()._update_dropdown()

    def on_is_open(self, instance: Any, value: bool) -> None:
        if value and self._stale:
            self._make_choices()
        super().on_is_open(instance, value)

    def choice_buttons(self) -> list[Any]:
        """The buttons of the list of choices, made now if they are not yet, top first."""
        if self._stale:
            self._make_choices()
        return list(reversed(self._dropdown.container.children))
