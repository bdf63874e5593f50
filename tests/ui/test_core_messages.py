"""Every refusal the core can send to a screen has a Chinese and an English text there. The
messages are read from the source of the whole of compound/ (tests/ui/core_refusals.py: each
string given to InvalidInput and the refusals built on it, a sheet row's error, a required-value
check, the bus's own error replies), so a message added to the core without a translation fails
here instead of reaching a screen as a plain "not done"."""

from __future__ import annotations

import pytest

from tests.ui.core_refusals import Source, core_refusals
from tests.ui.screen_text import language
from ui.i18n_core import FALLBACK, core_text, translate

REFUSALS = core_refusals()


def test_the_reading_finds_the_refusals_of_every_part_of_the_core() -> None:
    """The reading finds the messages (it would pass vacuously if it found none), from the
    console's requests and from the parts whose refusals once reached the screens untranslated:
    zones, intercom dialling, station passes, the officer's acknowledgements, the bus itself."""
    modules = {m for m, _ in REFUSALS}
    messages = [m for _, m in REFUSALS]
    assert len(messages) > 200
    assert any(m.startswith("malformed card number") for m in messages)
    for part in (
        "compound/services/zones.py",
        "compound/store/zone_arming.py",
        "compound/services/intercom_dial.py",
        "compound/services/officer_ack.py",
        "compound/store/station_passes.py",
        "compound/adapters/bus_types.py",
        "compound/adapters/images.py",
    ):
        assert part in modules, part
    assert not [m for m in modules if m.startswith("compound/app/")]  # the command line's own


def test_the_reading_makes_a_sample_of_each_way_a_message_is_written() -> None:
    """f-strings (a repr, a number), a module constant, a local name, ``.format``, a helper
    function's return, a sheet row's error and an ``if`` between two messages."""
    src = Source(
        "compound/services/planted.py",
        """
GONE = "the thing {what} is gone"
def _why(n):
    return f"only {n} left"
def f(p, door, n):
    raise InvalidInput(f"unknown zone {p['zone']!r}; heard: {n}")
    msg = "a local message here"
    raise InvalidInput(msg)
    raise InvalidInput(GONE.format(what=door))
    raise InvalidInput(_why(n))
    raise InvalidInput("first way" if n else "second way")
    errors.append(RowError(3, "card", f"the same card as line {n}; each must differ"))
    r.need("name", "every person needs a name")
""",
    )
    assert sorted(src.messages()) == sorted(
        [
            "unknown zone 'x7'; heard: 7",
            "a local message here",
            "the thing 7 is gone",
            "only 7 left",
            "first way",
            "second way",
            "the same card as line 7; each must differ",
            "every person needs a name",
        ]
    )


@pytest.mark.parametrize(("module", "message"), REFUSALS)
def test_each_core_message_reads_in_both_languages(module: str, message: str) -> None:
    zh, en = translate(message, "zh"), translate(message, "en")
    assert zh is not None and en is not None, f"{module}: no translation for {message!r}"
    assert language(zh, "zh", ["x7"]) is None, zh
    assert language(en, "en", []) is None, en
    assert "--" not in zh + en and "`" not in zh + en, "a command line's words on a screen"


def test_a_message_not_in_the_table_is_said_plainly_in_the_screens_language() -> None:
    from ui.i18n import Strings

    zh = Strings("zh")
    assert core_text("something the core never said before", zh) == FALLBACK[0]
    assert core_text("something the core never said before", lang="en") == FALLBACK[1]
    assert core_text("malformed card number '12ab': digits only, as the reader prints", zh) == (
        "卡号“12ab”有误：只能是读卡器显示的数字"
    )
    assert core_text(
        "unknown zone 'north-fence' (say its bridge if two share it); heard: a", zh
    ) == ("防区“north-fence”不存在")
