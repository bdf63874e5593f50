"""The wall's door area: a card per building (gates and garages first) in a scrolling view,
and the doors that need the officer in a side list. Widgets are made again only when the doors
change, a few cards a frame; a language switch words them again and a state change only
recolours its tile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import ListProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.relativelayout import RelativeLayout

from ui.paced import Paced
from ui.viewmodels.officer import OfficerVM
from ui.viewmodels.officer_doors import ABNORMAL, DoorTile

STATE_COLOURS = {
    "locked": (0.16, 0.45, 0.30, 1),
    "unlocked": (0.20, 0.42, 0.70, 1),
    "open": (0.20, 0.42, 0.70, 1),
    "held_open": (0.80, 0.55, 0.10, 1),
    "forced": (0.80, 0.15, 0.15, 1),
    "alarm": (0.72, 0.22, 0.55, 1),
    "offline": (0.35, 0.35, 0.38, 1),
    "unknown": (0.26, 0.28, 0.32, 1),
}
TILE_W, TILE_H, GAP = 90, 60, 4
HEADER_W = 66
SIDE_ROWS = 40  # abnormal doors listed by name; the count says how many in all
# Tiles made in one frame when the cards are made (cards are whole: a card's tiles at once).
# A tile with its kv rules costs some 2-3 ms of CPU here: the 189 doors of the compound made in
# one go held the UI thread for 0.53-0.55 s. A card's tiles sit in the card's own coordinates,
# so a card added does not lay out the tiles above it again (before, twelve a frame held it
# 0.15-0.18 s a step). Six a frame: a step's own work 24-27 ms (median), every tile there after
# 1.1-1.4 s.
TILES_A_FRAME = 6


class DoorTileView(ButtonBehavior, BoxLayout):
    """A door's tile; a tap asks to open it from afar (``DoorArea.on_tap``)."""

    door_id = StringProperty("")
    name = StringProperty("")  # the door's full name in the screen's language
    label = StringProperty("")  # its short name in its card ("Entrance 3")
    state_text = StringProperty("")
    colour = ListProperty([0.3, 0.3, 0.3, 1])


class DoorCard(BoxLayout):
    """One building: its name, then its doors."""

    title = StringProperty("")


class AbnormalRow(BoxLayout):
    text = StringProperty("")
    colour = ListProperty([0.3, 0.3, 0.3, 1])


def colour_of(state: str) -> list[float]:
    return list(STATE_COLOURS.get(state, STATE_COLOURS["unknown"]))


class DoorArea:
    """Keeps the door cards in ``box`` (a StackLayout in a ScrollView) and the abnormal list in
    ``side`` in step with the viewmodel."""

    def __init__(self, vm: OfficerVM, box: Any, side: Any) -> None:
        self.vm = vm
        self.box = box
        self.side = side
        self.views: dict[str, DoorTileView] = {}  # door id → its tile, in display order
        self.cards: dict[Any, DoorCard] = {}  # group key → its card (a building's doors)
        self._making = Paced()  # the cards, a few a frame
        self.on_tap: Callable[[str], object] | None = None
        self._shape: tuple[Any, ...] = ()
        self._side_key: tuple[Any, ...] | None = None  # (language, abnormal doors) listed
        self._side_lines: tuple[str, list[tuple[str, str]]] | None = None  # (language, rows)
        self._painted: dict[str, tuple[str, ...]] = {}  # door id → what its tile shows
        self._layout_rev = -1  # the viewmodel's door_layout_rev the groups were sorted at
        self._rev = -1  # its door_rev the tiles were painted at
        self._urgent: dict[str, tuple[str, str]] = {}  # abnormal door → its name, shown state
        self._urgent_rev = 0  # counted up when a door came into or left the abnormal ones
        self._groups: list[Any] = []
        self._abnormal: list[DoorTile] = []
        self._lang = ""
        self._marks: dict[str, tuple[str, str, str]] = {}  # door id → name, state, alarm shown

    def _sorted(self, changed: set[str] | None) -> tuple[list[Any], list[DoorTile]]:
        """The groups, sorted again only when a door came, went or was renamed, and the
        abnormal doors, only when one of them changed (``changed``: the doors changed since
        the last refresh, None for all). Each passage opens and shuts a door (three states a
        passage from its board): sorting 156 doors by their natural names on every change was
        two thirds of the wall's own work at 10 passages a second."""
        vm = self.vm
        moved = False
        if vm.door_layout_rev != self._layout_rev:
            self._layout_rev = vm.door_layout_rev
            self._groups = vm.door_groups()
            changed, moved = None, True
        urgent = self._urgent
        if changed is None:
            now = {
                t.id: (t.name, shown)
                for t in vm.doors.values()
                if (shown := t.shown_state) in ABNORMAL
            }
            moved = moved or now != urgent
            self._urgent = now
        else:  # only the doors that changed are looked at
            for door in changed:
                tile = vm.doors.get(door)
                shown = tile.shown_state if tile is not None else ""
                mark = (tile.name, shown) if tile is not None and shown in ABNORMAL else None
                if urgent.get(door) != mark:
                    moved = True
                    if mark is None:
                        del urgent[door]
                    else:
                        urgent[door] = mark
        if moved:
            self._urgent_rev += 1
            self._abnormal = vm.abnormal_doors()
        return self._groups, self._abnormal

    def abnormal(self) -> list[DoorTile]:
        """The doors that need the officer, most urgent first, as the last refresh found them
        (as the side list shows them)."""
        return self._abnormal

    @property
    def making(self) -> bool:
        """Whether cards are still being made (a few a frame)."""
        return self._making.busy

    def stop(self) -> None:
        """No more cards made (the wall stopped)."""
        self._making.stop()

    def refresh(self) -> None:
        lang = self.vm.t.lang
        if (lang, self.vm.door_rev) == (self._lang, self._rev) and self._shape:
            return  # most refreshes are for a passage or an alarm: no door to look at
        changed = self.vm.door_changes.since(self._rev) if self._lang == lang else None
        self._rev = self.vm.door_rev
        groups = self._sorted(changed)[0]
        marks = self._marks
        if changed is None:
            marks = {t.id: (t.name, t.state, t.alarm) for t in self.vm.doors.values()}
            differ = [d for d, m in marks.items() if self._marks.get(d) != m]
        else:  # only the doors changed since the last refresh: one or two of 156
            differ = []
            for door in changed:
                tile = self.vm.doors.get(door)
                if tile is not None and marks.get(door) != (
                    m := (tile.name, tile.state, tile.alarm)
                ):
                    marks[door] = m
                    differ.append(door)
        if lang == self._lang and not differ and self._shape:
            return  # no door and not the language changed: every tile shows what it should
        # The cards are made again only when the doors or their order changed, not for a
        # language switch: making 156 tiles held the UI thread for 0.6-1 s. Their titles
        # follow the language (only those that changed are drawn anew).
        shape = tuple((g.key, tuple(t.id for t in g.tiles)) for g in groups)
        if shape != self._shape:
            self._shape = shape
            self._painted = {}
            self._build(groups)
        elif lang != self._lang:
            self._paint_all()
        else:  # a door's state: only the doors that changed are looked at
            self._paint_all(differ)
        self._lang, self._marks = lang, marks
        self._side()

    def _paint_all(self, doors: list[str] | None = None) -> None:
        """Every card's title and every tile, or only the tiles of ``doors``."""
        if doors is None:
            for key, card in self.cards.items():
                card.title = self.vm.group_title(key)
        lang = self.vm.t.lang
        views = self.views
        for door_id, view in (
            views.items() if doors is None else ((d, views[d]) for d in doors if d in views)
        ):
            tile = self.vm.doors.get(door_id)
            if tile is None:
                continue  # gone since its card was made: the next refresh makes them again
            # Painted again only when the door changed: 156 tiles on every passage's refresh
            # were most of the wall's work per frame.
            key = (lang, tile.name, tile.state, tile.alarm, tile.shown_state)
            if self._painted.get(door_id) != key:
                self._painted[door_id] = key
                self._paint(view, tile)

    def forget_layout(self) -> None:
        """The box changed width: lay the cards out again at the next refresh."""
        self._shape = ()

    def _build(self, groups: list[Any]) -> None:
        """The cards made anew: the first few now, the rest a few a frame (``TILES_A_FRAME``),
        each painted as it comes."""
        self.stop()
        self.box.clear_widgets()
        self.views = {}
        self.cards = {}
        width = max(self.box.width, HEADER_W + 3 * (TILE_W + GAP))
        most = max(1, int((width - HEADER_W - 2 * GAP) // (TILE_W + GAP)))
        left = list(groups)

        def some() -> bool:
            made = 0
            while left and made < TILES_A_FRAME:
                g = left.pop(0)
                self._card(g, most)
                made += len(g.tiles)
            self._paint_all()
            return bool(left)

        self._making.run(some)

    def _card(self, g: Any, most: int) -> None:
        """One building's card and its tiles, added after the others."""
        cols = min(len(g.tiles), most)
        rows = -(-len(g.tiles) // cols)
        card = DoorCard(
            title=self.vm.group_title(g.key),
            size=(HEADER_W + cols * (TILE_W + GAP) + GAP, rows * (TILE_H + GAP) + GAP),
        )
        size = (cols * (TILE_W + GAP) - GAP, rows * (TILE_H + GAP) - GAP)
        grid = GridLayout(cols=cols, spacing=GAP, size_hint=(None, None), size=size)
        for tile in g.tiles:
            view = DoorTileView(door_id=tile.id, size=(TILE_W, TILE_H))
            view.bind(on_release=self._tapped)
            self.views[tile.id] = view
            grid.add_widget(view)
        # The tiles placed in the card's own coordinates: a card moves whenever one is added
        # above it (the box grows upwards), and its tiles then stay where they are instead of
        # each being laid out again with its labels.
        holder = RelativeLayout(size_hint=(None, None), size=size)
        holder.add_widget(grid)
        card.add_widget(holder)
        self.box.add_widget(card)
        self.cards[g.key] = card

    def _tapped(self, view: DoorTileView) -> None:
        if self.on_tap is not None:
            self.on_tap(view.door_id)

    def _paint(self, view: DoorTileView, tile: DoorTile) -> None:
        state = tile.shown_state
        view.name = self.vm.door_name(tile.id)
        view.label = self.vm.tile_label(tile)
        view.state_text = self.vm.t(f"state.{state}")
        view.colour = colour_of(state)

    def _side(self) -> None:
        key = (self.vm.t.lang, self._urgent_rev)
        if key == self._side_key:
            return  # the same doors in the same states: the rows are as they should be
        self._side_key = key
        rows = self._abnormal
        lines = [
            (f"{self.vm.door_name(t.id)}\n{self.vm.t(f'state.{t.shown_state}')}", t.shown_state)
            for t in rows[:SIDE_ROWS]
        ]
        # Built again only when what they say changed (not for a door past the rows shown),
        # or the language ("none"): 100 rows built anew hold the UI thread for several frames.
        if (key[0], lines) == self._side_lines:
            return
        self._side_lines = (key[0], lines)
        self.side.clear_widgets()
        for text, state in lines:
            self.side.add_widget(AbnormalRow(text=text, colour=colour_of(state)))
        if not rows:
            self.side.add_widget(Label(text=self.vm.t("officer.none"), size_hint_y=None, height=40))
