"""What a search for people means: the text a manager types, read as the things it can be.

One box takes a name or part of one, pinyin initials ("wxm" for 王小明), a unit address or its
start ("3-2", "3-2-15"), the last four or more digits of an ID number, a card number or the last
four digits of a phone. ``terms`` reads the text once into the keys the store looks up, each
with an index of its own, except a part of a Chinese name, which can sit anywhere in the name
and so is looked for in every name.

``initials`` gives the key a person is found by when the text is initials: the first letter
of the pinyin of each Chinese character (pypinyin), of each word of a name in Latin letters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from compound.domain.model import InvalidInput

MAX_QUERY = 64  # longer than any name, address or number a search is for

# Surnames read differently from the same character in other words (单 is Shàn as a surname,
# not dān): pypinyin reads a name as ordinary text, so the surname's initial is set here.
SURNAME_INITIALS = {
    "万俟": "mq",
    "尉迟": "yc",
    "单": "s",
    "曾": "z",
    "解": "x",
    "仇": "q",
    "查": "z",
    "区": "o",
    "乐": "y",
    "覃": "q",
    "翟": "z",
    "员": "y",
    "种": "c",
    "繁": "p",
    "秘": "b",
    "重": "c",
    "折": "s",
    "隗": "w",
    "召": "s",
}
_DIGITS = re.compile(r"[0-9]+[xX]?")
_UNIT_START = re.compile(r"[0-9]{1,3}-[0-9]{0,2}(-[0-9]{0,5})?")
_LATIN = re.compile(r"[A-Za-z][A-Za-z .'-]*")


@cache
def _pinyin() -> Any:
    # Loaded on first use: its dictionaries take a few tenths of a second to read.
    import pypinyin

    return pypinyin


def initials(name: str) -> str:
    """Lower-case initials of a name: 王小明 → wxm, 单雄信 → sxx, John Smith → js."""
    name = name.strip()
    head = ""
    for surname, letters in SURNAME_INITIALS.items():
        if name.startswith(surname):
            head, name = letters, name[len(surname) :]
            break
    py = _pinyin()
    out = [head]
    for part in py.lazy_pinyin(name, style=py.Style.FIRST_LETTER):
        if len(part) == 1 and part.isascii() and part.isalpha():
            out.append(part)  # one character's initial
        else:
            out.extend(w[0] for w in re.split(r"[^A-Za-z0-9]+", part) if w and w[0].isalpha())
    return "".join(out).lower()


@dataclass(frozen=True)
class Terms:
    """The keys one search text is looked up by; None where the text cannot be that."""

    text: str
    initials: str | None = None  # prefix of the initials column
    name_start: str | None = None  # prefix of the name, ignoring Latin case
    name_part: str | None = None  # anywhere in the name (read from every name)
    unit_start: str | None = None  # prefix of the unit address
    id_tail: str | None = None  # end of the ID number
    card: str | None = None  # a card number, in its lookup form
    phone_tail: str | None = None  # last four digits of the phone

    @property
    def scans(self) -> bool:
        """True when the search reads every name (no index answers "anywhere in the name")."""
        return self.name_part is not None


def terms(q: Any) -> Terms | None:
    """The search text read once; None for no search. Refuses text no search needs."""
    if q is None:
        return None
    if not isinstance(q, str):
        raise InvalidInput("q, the search text, must be text")
    if len(q) > MAX_QUERY:
        raise InvalidInput(
            f"search text too long ({len(q)} characters): type at most {MAX_QUERY}, "
            "a name, initials, unit, card or the end of an ID or phone number"
        )
    text = " ".join(q.split())
    if not text:
        return None
    if any(ord(c) < 32 for c in text):
        raise InvalidInput("the search text has control characters")
    if _DIGITS.fullmatch(text):
        digits = text.rstrip("xX")
        return Terms(
            text,
            unit_start=f"{text}-" if len(text) <= 3 else None,  # "3": building 3
            id_tail=text.upper() if len(text) >= 4 else None,
            card=(digits.lstrip("0") or "0") if digits == text else None,
            phone_tail=text if len(text) == 4 and digits == text else None,
        )
    if _UNIT_START.fullmatch(text):
        # "3-2" is entrance 2 of building 3, not 3-20; "3-2-15" is rooms 15xx.
        whole_entrance = text.count("-") == 1 and not text.endswith("-")
        return Terms(text, unit_start=text + "-" if whole_entrance else text)
    if _LATIN.fullmatch(text):
        letters_only = text.isalpha()
        return Terms(
            text,
            initials=text.lower() if letters_only else None,
            name_start=text,
        )
    return Terms(text, name_part=text)


def upper_bound(prefix: str) -> str:
    """The least string after every string that starts with ``prefix`` (for an index range)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
