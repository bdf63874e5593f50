"""Small pieces the console's schedules, stations and household pages share: a field, a label
that wraps in its box, a fixed number of rows to tap (one page of a list), a yes/no toggle and
a confirmation dialog."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.textinput import TextInput

from ui.widgets import TouchButton

ROW_H = 48
SEARCH_PAUSE_S = 0.3  # a search goes to the core once typing pauses this long, not at every key


def field(**kw: Any) -> TextInput:
    kw.setdefault("font_size", "18sp")
    return TextInput(multiline=False, size_hint_y=None, height=52, padding=(10, 12), **kw)


def search_field(search: Callable[[str], None]) -> TextInput:
    """A field whose text goes to ``search`` once typing pauses (``SEARCH_PAUSE_S``)."""
    box = field()
    pause = Clock.create_trigger(lambda _dt: search(box.text), SEARCH_PAUSE_S)
    box.bind(text=lambda *_: (pause.cancel(), pause()))
    return box


def text_label(font_size: str = "17sp", **kw: Any) -> Label:
    """A label whose text wraps inside its own box, left aligned, cut with … when too long."""
    kw.setdefault("halign", "left")
    lbl = Label(font_size=font_size, valign="middle", shorten=True, **kw)
    lbl.shorten_from = "right"
    lbl.bind(size=lambda w, s: setattr(w, "text_size", (s[0], s[1])))
    return lbl


def title_label(**kw: Any) -> Label:
    lbl = text_label("19sp", size_hint_y=None, height=34, bold=True, color=(0.55, 0.75, 1, 1))
    for k, v in kw.items():
        setattr(lbl, k, v)
    return lbl


def button(on_release: Callable[[], None], accent: str = "primary", **kw: Any) -> TouchButton:
    kw.setdefault("size_hint_y", None)
    kw.setdefault("height", ROW_H + 4)
    kw.setdefault("font_size", "18sp")
    b = TouchButton(accent=accent, **kw)
    b.shorten = True
    b.bind(on_release=lambda *_: on_release())
    return b


class Toggle(TouchButton):
    """A large yes/no control: green (with a tick, unless ``tick`` is False) when on."""

    def __init__(self, tick: bool = True, **kw: Any) -> None:
        kw.setdefault("size_hint_y", None)
        kw.setdefault("height", ROW_H + 4)
        kw.setdefault("font_size", "18sp")
        super().__init__(accent="quiet", **kw)
        self.on = False
        self.tick = tick
        self.words = ""
        self.bind(on_release=lambda *_: self.set(not self.on))

    def set(self, on: bool) -> None:
        self.on = on
        self.accent = "on" if on else "quiet"
        self.say(self.words)

    def say(self, words: str) -> None:
        self.words = words
        self.text = ("✓ " if self.on and self.tick else "") + words


class Rows(BoxLayout):
    """``count`` rows to tap, filled from one page of a list; the chosen one shows green. A row
    of ``lines`` lines wraps its text onto them (a schedule's spans)."""

    def __init__(
        self, count: int, on_pick: Callable[[int], None], lines: int = 1, **kw: Any
    ) -> None:
        super().__init__(orientation="vertical", spacing=4, size_hint_y=None, **kw)
        row_h = ROW_H + 24 * (lines - 1)
        self.height = count * (row_h + 4)
        self.buttons: list[TouchButton] = []
        for i in range(count):
            b = TouchButton(
                accent="quiet", font_size="17sp", size_hint_y=None, height=row_h, halign="left"
            )
            b.shorten, b.max_lines = lines == 1, lines
            b.bind(on_release=lambda _b, i=i: on_pick(i))
            self.buttons.append(b)
            self.add_widget(b)

    def show(self, texts: Sequence[str], chosen: int | None = None) -> None:
        for i, b in enumerate(self.buttons):
            text = texts[i] if i < len(texts) else ""
            b.text = text
            b.disabled = not text
            b.opacity = 1 if text else 0
            b.accent = "on" if i == chosen else "quiet"


class PageTurn(BoxLayout):
    """Under a list: previous, which page, next; ``turn`` is given -1 or 1."""

    def __init__(self, turn: Callable[[int], None]) -> None:
        super().__init__(size_hint_y=None, height=56, spacing=6)
        self.prev = button(lambda: turn(-1), "quiet")
        self.where = text_label(halign="center")
        self.next = button(lambda: turn(1), "quiet")
        for w in (self.prev, self.where, self.next):
            self.add_widget(w)

    def say(self, t: Callable[..., str], page: int, pages: int) -> None:
        """Its texts in the language shown, on page ``page`` of ``pages``."""
        self.where.text = t("manager.page", page=page, pages=pages)
        self.prev.text, self.next.text = t("manager.previous"), t("manager.next")


def list_column(column: BoxLayout, rows: Rows, turn: Callable[[int], None]) -> PageTurn:
    """``rows`` and their page turn at the foot of ``column``'s widgets, the rest left free."""
    column.add_widget(rows)
    pages = PageTurn(turn)
    column.add_widget(pages)
    column.add_widget(BoxLayout())
    return pages


class PeopleSearch:
    """A search for people down ``column``: the field (the core asked once typing pauses), how
    many were found, a page of ``size`` results to tap and their page turn. ``finder``: the
    page's ``PeopleFinder``, looked up at each use."""

    def __init__(
        self,
        column: BoxLayout,
        finder: Callable[[], Any],
        size: int,
        picked: Callable[[int], None],
    ) -> None:
        self._finder = finder
        self.search = search_field(lambda text: finder().search(text))
        column.add_widget(self.search)
        self.found = title_label()
        column.add_widget(self.found)
        self.results = Rows(size, picked)
        self.turn = list_column(
            column,
            self.results,
            lambda step: (finder().next_page if step > 0 else finder().previous_page)(),
        )

    def show(
        self,
        t: Callable[..., str],
        hint: str,
        row: Callable[[dict[str, Any]], str],
        chosen: Callable[[dict[str, Any]], bool],
    ) -> None:
        """The texts in the language shown: the field's ``hint`` (a text key), each result as
        ``row`` says, the first ``chosen`` one green."""
        finder = self._finder()
        self.search.hint_text = t(hint)
        self.found.text = f"{t('manager.people')} ({finder.total})"
        self.results.show(
            [row(p) for p in finder.items] or ([finder.note] if finder.note else []),
            next((i for i, p in enumerate(finder.items) if chosen(p)), None),
        )
        self.turn.say(t, finder.page, finder.pages)


class Confirm(ModalView):
    """Asks before something that cannot be undone; the question names what it touches."""

    def __init__(
        self,
        question: str,
        yes: str,
        no: str,
        on_yes: Callable[[], None],
        accent: str = "danger",
        **kw: Any,
    ) -> None:
        super().__init__(size_hint=(None, None), size=(640, 300), auto_dismiss=False, **kw)
        box = BoxLayout(orientation="vertical", padding=20, spacing=16)
        self.question = text_label("20sp")
        self.question.shorten = False
        self.question.text = question
        box.add_widget(self.question)
        row = BoxLayout(spacing=12, size_hint_y=None, height=64)
        self.no = button(self.dismiss, "quiet", text=no)
        self.yes = button(lambda: self._yes(on_yes), accent, text=yes)
        row.add_widget(self.no)
        row.add_widget(self.yes)
        box.add_widget(row)
        self.add_widget(box)

    @classmethod
    def ask(
        cls,
        t: Callable[[str], str],
        question: str,
        yes: str,
        on_yes: Callable[[], None],
        accent: str = "danger",
    ) -> Confirm:
        """The question open over the window: ``yes`` (a text key) names the button that does
        ``on_yes``; the other cancels."""
        confirm = cls(question, t(yes), t("console.cancel"), on_yes, accent)
        confirm.open()
        return confirm

    def _yes(self, then: Callable[[], None]) -> None:
        self.dismiss()
        then()


def note_label() -> Label:
    """The outcome of the page's last action, green or red, at the page's foot."""
    return text_label("18sp", size_hint_y=None, height=36)


def show_note(label: Label, vm: Any) -> None:
    label.text = vm.note
    label.color = (0.4, 0.9, 0.55, 1) if vm.note_ok else (1, 0.55, 0.4, 1)


class Foot(BoxLayout):
    """A page's foot: the note, and the on-screen pinyin keyboard for the Chinese field last
    touched (the console has no keyboard of its own; names and notes are Chinese)."""

    def __init__(
        self, note: Label, open_keyboard: Callable[[TextInput], Any] | None, first: TextInput
    ) -> None:
        super().__init__(size_hint_y=None, height=ROW_H + 4, spacing=8)
        self.add_widget(note)
        self.typing = first  # the field the keyboard types into
        self.open_keyboard = open_keyboard
        self.keyboard = button(self.open, "quiet", size_hint_x=None, width=150)
        self.keyboard.opacity = 1 if open_keyboard else 0
        self.keyboard.disabled = open_keyboard is None
        self.add_widget(self.keyboard)

    def follow(self, *fields: TextInput) -> None:
        """The keyboard types into whichever of ``fields`` was last focused."""
        for f in fields:
            f.bind(focus=lambda w, on: setattr(self, "typing", w) if on else None)

    def open(self) -> None:
        if self.open_keyboard is not None:
            self.open_keyboard(self.typing)
