"""What a screen shows, read from the widgets as drawn: every label, button and hint in the
window (pop-ups included), checked for the screen's language and for text that does not fit.

Used by the screen walks in tests/ui/test_screen_walk*.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
MARKUP = re.compile(r"\[/?[a-z_]+(=[^\]]*)?\]")
# Words a Chinese screen may show as they are: door and device ids, units, file formats,
# sizes written as numbers, abbreviations read the same in Chinese.
ZH_TOKENS = re.compile(
    r"\b(?:[a-z]+\d*(?:-[a-z]*\d+)+|gate(?:-[a-z]+)?|garage-\d+|wall|desk|officer"
    r"|CSV|PNG|JPEG|UTF-8|GBK|GB|QR|ID|PIN|MB|KB|kB|ms|km|s|h|d|x|YYYY-MM-DD|HH:MM|p\d+)\b"
)
SLACK = 2  # pixels of rounding Kivy allows itself
# Texts shown in both languages on purpose: the switch names the other language.
BOTH = ("English", "中文", "中/EN", "EN/中")


@dataclass(frozen=True)
class Finding:
    what: str  # "language" or "overflow"
    text: str
    widget: str
    detail: str

    def __str__(self) -> str:
        return f"{self.what}: {self.widget} {self.text[:90]!r} ({self.detail})"


def shown(widget: Any) -> bool:
    """Drawn and not hidden: every ancestor opaque, the widget of some size."""
    w = widget
    while w is not None:
        if getattr(w, "opacity", 1) <= 0.01:
            return False
        parent = w.parent
        if parent is w:
            break
        w = parent
    return widget.width > 2 and widget.height > 2


def shows(texture: Any, label: Any) -> bool:
    """Whether a rectangle's ``texture`` is ``label``'s texture or its text's part of it (an
    InkLabel or a TopLabel draws a region of its texture, ``ui.ink``)."""
    from ui.ink import texture as text_part

    whole = label.texture
    if texture is None or whole is None:
        return False
    part = text_part(label, whole)

    def seen(t: Any) -> tuple[Any, ...]:
        return tuple(t.uvpos), tuple(t.uvsize), tuple(t.size)

    return texture is whole or seen(texture) == seen(part)


def widgets(window: Any) -> Iterator[Any]:
    """Every widget in the window: the mounted screen and any pop-up over it."""
    for child in list(window.children):
        yield from child.walk(restrict=True)


def plain(text: str, markup: bool) -> str:
    return MARKUP.sub("", text) if markup else text


def needed_size(label: Any) -> tuple[int, int]:
    """The size the label's whole text needs (wrapped at its text width if it has one),
    however Kivy would cut or shorten it."""
    core = label._label
    if label.text_size[1] is None and not label.shorten and not label.max_lines:
        # Nothing cut: the texture is the whole text (laying it out again costs the walk
        # most of its time).
        w, h = label.texture_size
        if label.text_size[0] is not None:
            w = max(int(label.text_size[0]), int(core._internal_size[0]))
        return int(w), int(h)
    opts = dict(core.options)
    width = label.text_size[0]
    opts.update(text_size=(width, None), shorten=False, max_lines=0)
    measure = type(core)(**opts)
    measure.text = core.text if label.markup else label.text
    w, h = measure.render()
    if width is not None:
        w = max(int(width), int(measure._internal_size[0]))
    return int(w), int(h)


def overflow(label: Any) -> str | None:
    """Why the label's text does not fit it, or None."""
    if not label.text.strip():
        return None
    w, h = needed_size(label)
    tw, th = label.text_size
    room_w = label.width if tw is None else min(tw, label.width + SLACK)
    room_h = label.height if th is None else min(th, label.height + SLACK)
    if tw is not None and tw > label.width + SLACK:
        return f"text width {tw:.0f} > widget {label.width:.0f}"
    if w > room_w + SLACK:
        return f"needs {w} px wide, has {room_w:.0f}"
    if h > room_h + SLACK:
        return f"needs {h} px high, has {room_h:.0f}"
    return None


class Names:
    """Names from the compound's records, found in a text by their first character (a compound
    of the real size has some 25,000 of them, too many to try one by one on every label)."""

    def __init__(self, data: Iterable[str]) -> None:
        self.by_first: dict[str, list[str]] = {}
        for d in set(data):
            if d:
                self.by_first.setdefault(d[0], []).append(d)

    def without(self, text: str) -> str:
        """The text with every name in it blanked out, the longest first."""
        found = [d for ch in set(text) for d in self.by_first.get(ch, ()) if d in text]
        for d in sorted(found, key=len, reverse=True):
            text = text.replace(d, " ")
        return text


def language(text: str, lang: str, data: Iterable[str] | Names) -> str | None:
    """Why the text is not in ``lang``, or None. ``data`` are names from the compound's records
    (a resident's Chinese name on an English screen is theirs, not an untranslated text)."""
    rest = (data if isinstance(data, Names) else Names(data)).without(text)
    if lang == "en":
        found = CJK.findall(rest)
        return f"Chinese on an English screen: {''.join(found)[:20]}" if found else None
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9_.'-]*", ZH_TOKENS.sub(" ", rest))]
    words = [w for w in words if len(w) > 1]
    return f"English on a Chinese screen: {' '.join(words)[:60]}" if words else None


def check(
    window: Any,
    lang: str,
    data: Iterable[str] | Names = (),
    exempt: Iterable[str] = (),
    as_typed: Iterable[Any] = (),
) -> list[Finding]:
    """Every text shown in the window in the wrong language or not fitting its widget.
    ``exempt`` are texts deliberately in both languages (the language switch, say);
    ``as_typed`` are widgets showing what a person typed or keys to type with (the language
    does not apply to them, the fit does)."""
    from kivy.uix.label import Label
    from kivy.uix.textinput import TextInput

    names = data if isinstance(data, Names) else Names(data)
    skip, typed = set(exempt), {id(w) for w in as_typed}
    out: list[Finding] = []
    for w in widgets(window):
        if not shown(w):
            continue
        name = type(w).__name__
        if isinstance(w, Label):
            text = plain(w.text, w.markup)
            if text.strip() and text not in skip:
                why = None if id(w) in typed else language(text, lang, names)
                if why:
                    out.append(Finding("language", text, name, why))
                too_big = overflow(w)
                if too_big:
                    out.append(Finding("overflow", text, name, too_big))
        elif isinstance(w, TextInput) and not w.text and w.hint_text:
            hint = str(w.hint_text)
            why = language(hint, lang, names)
            if why and hint not in skip:
                out.append(Finding("language", hint, name + ".hint", why))
    return out


def texts(window: Any) -> list[str]:
    """Every label text shown (for a test that something was on screen at all)."""
    from kivy.uix.label import Label

    return [w.text for w in widgets(window) if isinstance(w, Label) and shown(w) and w.text]


class Walk:
    """Opens each view of a screen in turn, in each language, and collects what is wrong."""

    def __init__(self, driver: Any, strings: Any, data: list[str]) -> None:
        self.driver, self.strings, self.data = driver, strings, data
        self.found: list[str] = []
        self.seen = 0
        self.as_typed: list[Any] = []  # widgets whose language is the typist's
        self._names: tuple[int, Names] | None = None

    def look(self, name: str, settle: Callable[[], bool] | None = None) -> None:
        self.driver.pump(0.15)
        if settle is not None:
            self.driver.until(settle, what=name)
        self.driver.pump(0.1)  # textures of what the last refresh changed
        shown = texts(self.driver.window)
        assert shown, f"{name}: nothing on screen"
        self.seen += len(shown)
        lang = self.strings.lang
        if self._names is None or self._names[0] != len(self.data):
            self._names = (len(self.data), Names(self.data))  # the data grows between looks
        found = check(self.driver.window, lang, self._names[1], BOTH, self.as_typed)
        self.found += [f"[{lang} {name}] {f}" for f in found]

    def both(self, views: list[tuple[str, Callable[[], Any], Callable[[], Any]]]) -> None:
        """Each view opened once and looked at in the language it starts in, then in the other
        (a shown outcome must follow the switch), then closed."""
        for name, open_, close in views:
            open_()
            for _ in range(2):
                self.look(name)
                self.strings.toggle()
            close()

    def each_language(self, views: list[tuple[str, Callable[[], Any], Callable[[], Any]]]) -> None:
        """Each view opened and closed in one language, then all again in the other (a dialog
        is built in the language of the moment; the switch is behind it while it is open)."""
        for _ in range(2):
            for name, open_, close in views:
                open_()
                self.look(name)
                close()
            self.strings.toggle()
            self.driver.pump(0.2)

    def verdict(self) -> None:
        assert not self.found, f"{len(self.found)} problem(s):\n" + "\n".join(self.found)


# How a walk opens a view, and how it closes it again.
Step = tuple[Callable[[], Any], Callable[[], Any]]


def popup(make: Callable[[], Any]) -> Step:
    """The dialog ``make`` opens, dismissed after."""
    held: list[Any] = []
    return (lambda: held.append(make()), lambda: held.pop().dismiss())


def view(root: Any, name: str) -> Step:
    """One of the wall's views, and back to the overview after."""
    return (lambda: root.show_view(name), lambda: root.show_view("overview"))


def tab(root: Any, name: str, then: Callable[[], Any] = lambda: None) -> Step:
    """One of the console's tabs (and ``then`` done on it), left as it is."""

    def go() -> None:
        root.tab = name
        then()

    return (go, lambda: None)


def data_names(site: Any) -> list[str]:
    """Names from the compound's records, shown as they were registered."""
    people = [p["name"] for p in site.seed["people"]]
    site_names = [site.seed["site"].get("name", ""), site.seed["site"]["id"]]
    # Door names are not data here: each screen says a door in its own language.
    return people + site_names + ["张*", "李*", "王*"]


def close_popups(window: Any) -> None:
    """Dismiss what a screen left open over the window (an alarm pop-up outlives its wall)."""
    from kivy.uix.modalview import ModalView

    for child in list(window.children):
        if isinstance(child, ModalView):
            child.dismiss(animation=False)
