"""The window clears only its colour before a frame (``ui.kivy_env.window_clear``): the screens
use no depth buffer, and a stencil (Kivy's ``StencilView``, still possible in any widget) is
cleared by Kivy's ``StencilPush`` itself, so clipping stays right frame after frame."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = [pytest.mark.ui]


@pytest.fixture
def clears(kivy_window: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The masks the window's clear passes to GL, frame by frame."""
    from kivy.graphics import opengl as gl

    seen: list[int] = []
    gl_clear = gl.glClear

    def recording(mask: int) -> None:
        seen.append(mask)
        gl_clear(mask)

    monkeypatch.setattr(gl, "glClear", recording)
    yield seen


def frame(window: Any) -> None:
    """Draw a frame into the back buffer (read before any swap), kv rules' canvas updates in."""
    from kivy.lang import Builder

    Builder.sync()
    window.dispatch("on_draw")


def pixel(x: int, y: int) -> tuple[int, ...]:
    from kivy.graphics import opengl as gl

    return tuple(gl.glReadPixels(x, y, 1, 1, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE))


def test_the_window_clears_its_colour_only_and_kivys_clear_can_be_chosen(
    kivy_window: Any, clears: list[int]
) -> None:
    from kivy.graphics import opengl as gl

    from ui import kivy_env

    frame(kivy_window)
    assert clears == [gl.GL_COLOR_BUFFER_BIT]
    kivy_env.window_clear("all")
    try:
        frame(kivy_window)
        assert clears[-1] == gl.GL_COLOR_BUFFER_BIT | gl.GL_DEPTH_BUFFER_BIT | (
            gl.GL_STENCIL_BUFFER_BIT
        )
    finally:
        kivy_env.window_clear()
    frame(kivy_window)
    assert clears[-1] == gl.GL_COLOR_BUFFER_BIT


def test_a_setting_that_is_neither_says_what_it_takes(kivy_window: Any) -> None:
    from compound.domain.model import InvalidInput
    from ui import kivy_env

    with pytest.raises(InvalidInput, match="COMPOUND_UI_CLEAR must be colour or all"):
        kivy_env.window_clear("depth")


def test_a_stencil_view_clips_right_in_every_frame_without_the_stencil_cleared(
    kivy_window: Any,
) -> None:
    """A stencil view moved between frames clips to its new place: a stencil left from the
    frame before would show the red square where the view was."""
    from kivy.graphics import Color, Rectangle
    from kivy.uix.stencilview import StencilView

    view = StencilView(size_hint=(None, None), size=(100, 100), pos=(100, 100))
    with view.canvas:
        Color(1, 0, 0, 1)
        Rectangle(pos=(0, 0), size=(600, 600))  # far beyond the view: clipped to it
    old = kivy_window.clearcolor
    kivy_window.clearcolor = (0, 0, 0, 1)
    # The window is shared by the UI tests: what an earlier test left in it is set aside, so
    # the frame holds the view alone.
    left = list(kivy_window.children)
    for w in left:
        kivy_window.remove_widget(w)
    kivy_window.add_widget(view)
    try:
        frame(kivy_window)
        assert pixel(150, 150)[:3] == (255, 0, 0)
        assert pixel(350, 350)[:3] == (0, 0, 0)
        view.pos = (300, 300)
        frame(kivy_window)
        assert pixel(350, 350)[:3] == (255, 0, 0)
        assert pixel(150, 150)[:3] == (0, 0, 0)
    finally:
        kivy_window.remove_widget(view)
        for w in reversed(left):
            kivy_window.add_widget(w)
        kivy_window.clearcolor = old
