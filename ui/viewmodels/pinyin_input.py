"""Typing Chinese names on the touchscreen: pinyin letters in, characters out.

No input method of the operating system is needed. The characters for each toneless syllable
come from pypinyin's own dictionary (the library the core already uses for initials), ranked
for names: common surnames first, then characters by how many of pypinyin's phrases use them
(a rough measure of how common a character is). A syllable still being typed ("zh") offers the
characters of every syllable it begins.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable

PAGE = 8  # candidates shown at a time
# The most common Chinese surnames, most common first: a name's first character is one of
# these nine times out of ten.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)

Index = dict[str, list[str]]


def toneless(reading: str) -> str:
    """ "wáng" → "wang", "lǜ" → "lv" (the v key types ü, as on every pinyin keyboard)."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def build_index() -> Index:
    """Syllable → characters, best first. Takes a second or two: build it off the UI thread."""
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    use: Counter[str] = Counter(ch for phrase in phrases_dict for ch in phrase)
    surname = {ch: i for i, ch in enumerate(SURNAMES)}
    index: dict[str, list[str]] = {}
    for code, readings in pinyin_dict.items():
        ch = chr(code)
        if not 0x4E00 <= code <= 0x9FFF:
            continue  # the common block: names registered with the police use these
        for r in {toneless(x) for x in readings.split(",")}:
            index.setdefault(r, []).append(ch)
    for chars in index.values():
        chars.sort(key=lambda c: (surname.get(c, len(SURNAMES)), -use[c], c))
    return index


class PinyinInput:
    def __init__(self, index: Callable[[], Index | None]) -> None:
        self.index = index  # None while it is being built
        self.letters = ""
        self.page = 0

    def key(self, letter: str) -> None:
        if letter.isascii() and letter.isalpha() and len(self.letters) < 6:
            self.letters += letter.lower()
            self.page = 0

    def backspace(self) -> bool:
        """Drop the last letter; False when there was none (the field's last character goes)."""
        if not self.letters:
            return False
        self.letters = self.letters[:-1]
        self.page = 0
        return True

    def all_candidates(self) -> list[str]:
        idx = self.index()
        if not self.letters or idx is None:
            return []
        out = list(idx.get(self.letters, []))
        seen = set(out)
        for syllable in sorted(s for s in idx if s.startswith(self.letters) and s != self.letters):
            for ch in idx[syllable][:20]:
                if ch not in seen:
                    seen.add(ch)
                    out.append(ch)
        return out

    def candidates(self) -> list[str]:
        every = self.all_candidates()
        return every[self.page * PAGE : (self.page + 1) * PAGE]

    def next_page(self) -> None:
        if (self.page + 1) * PAGE < len(self.all_candidates()):
            self.page += 1

    def prev_page(self) -> None:
        self.page = max(0, self.page - 1)

    def pick(self, i: int) -> str:
        """The i-th candidate shown, to add to the field; the letters are done with."""
        shown = self.candidates()
        if not 0 <= i < len(shown):
            return ""
        self.letters, self.page = "", 0
        return shown[i]
