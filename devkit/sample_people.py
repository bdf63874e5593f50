"""Who lives in a sample compound: households of owners, family, tenants and elderly people
living alone, with realistic Chinese names, resident ID numbers, phones, cards and PINs.

Pure data building from a seeded ``random.Random``: the same seed gives the same people. Names
take family names by their frequency in China and given names by the era a person was born in;
ID numbers follow GB 11643 (area code, birth date, sequence with the sex in its parity, check
digit); phone numbers use real mobile prefixes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

# Family names with their share of the population in percent (the most frequent fifty, and two
# compound names); the rest of the weight is spread over them by ``random.choices``.
_SURNAMES = (
    "王7.1 李7.0 张6.7 刘5.4 陈4.6 杨3.1 黄2.5 赵2.3 吴2.0 周1.9 徐1.5 孙1.5 马1.3 朱1.2 胡1.2 "
    "郭1.2 何1.1 林1.0 高1.0 罗0.9 郑0.9 梁0.8 谢0.7 宋0.6 唐0.6 许0.6 韩0.6 冯0.5 邓0.5 曹0.5 "
    "彭0.5 曾0.5 肖0.5 田0.5 董0.4 袁0.4 潘0.4 于0.4 蒋0.4 蔡0.4 余0.4 杜0.4 叶0.4 程0.3 苏0.3 "
    "魏0.3 吕0.3 丁0.3 任0.3 沈0.3 欧阳0.05 上官0.02"
)
SURNAMES = tuple(s[0] if s[1].isdigit() else s[:2] for s in _SURNAMES.split())
_SURNAME_CUM = tuple(
    accumulate(float(s[1:] if s[1].isdigit() else s[2:]) for s in _SURNAMES.split())
)

# Given names by the era a person was born in: (male, female).
_GIVEN = {
    "old": (  # born before 1965
        "建国 建华 国强 志强 德明 福生 永清 振华 国庆 卫东 保国 长林 文华 德才 光明 树林 "
        "明 军 刚 平 华 林 海 忠",
        "秀英 桂英 桂兰 玉兰 秀兰 淑珍 凤英 玉珍 秀珍 素芬 翠花 桂芳 淑英 玉梅 秀云 兰英 "
        "英 兰 芳 珍 华 梅",
    ),
    "mid": (  # born 1965 to 1999
        "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 辉 鹏 飞 波 浩 凯 健 俊 帆 旭 宁 亮 峰 "
        "志刚 建军 海涛 晓东 文斌 永强 俊杰 小龙 建平 立新 红军 宏伟 晓明 春雷 国栋",
        "芳 娜 敏 静 丽 艳 娟 霞 玲 燕 婷 雪 琳 晶 倩 颖 洁 萍 红 梅 琴 莉 "
        "晓燕 丽娟 红梅 海燕 秀梅 丽华 春花 晓丽 慧敏 雅琴 金凤 艳红 小红 文静",
    ),
    "young": (  # born 2000 and later
        "子轩 浩宇 宇轩 梓豪 俊熙 沐宸 思远 一鸣 宇航 浩然 子墨 皓轩 博文 天佑 明轩 "
        "奕辰 睿 轩 昊 泽 宸 航 晨",
        "梓涵 一诺 欣怡 诗涵 梓萱 若汐 依诺 雨桐 可馨 语嫣 思琪 佳怡 子涵 紫萱 梦瑶 "
        "悦 彤 萱 涵 琪 妍 瑶 菲",
    ),
}
GIVEN = {era: (m.split(), f.split()) for era, (m, f) in _GIVEN.items()}

# Where people come from: (area code, origin as the tenant register writes it, weight for
# owners and family, weight for tenants). Xi'an districts first, then the province, then the
# provinces most tenants in Xi'an come from.
AREAS = (
    ("610102", "陕西西安新城", 12, 6),
    ("610103", "陕西西安碑林", 12, 6),
    ("610104", "陕西西安莲湖", 12, 6),
    ("610112", "陕西西安未央", 14, 8),
    ("610113", "陕西西安雁塔", 20, 10),
    ("610116", "陕西西安长安", 10, 9),
    ("610302", "陕西宝鸡渭滨", 4, 7),
    ("610402", "陕西咸阳秦都", 4, 8),
    ("610502", "陕西渭南临渭", 3, 8),
    ("610702", "陕西汉中汉台", 2, 5),
    ("610802", "陕西榆林榆阳", 2, 5),
    ("410105", "河南郑州金水", 2, 8),
    ("620102", "甘肃兰州城关", 1, 6),
    ("140105", "山西太原小店", 1, 4),
    ("510104", "四川成都锦江", 1, 4),
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_MOBILE = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 177 180 181 182 183 185 186 187 188 189 191 199"
).split()

OWNER_SIZES = {3: 7, 4: 16, 5: 27, 6: 29, 7: 21}  # people in an owner-occupied household
TENANT_SIZES = {1: 20, 2: 25, 3: 25, 4: 18, 5: 8, 6: 4}  # tenants in a rented unit
TENANT_LAYERS = {"focus": 10, "watch": 30, "stable": 60}


def id_check_digit(first17: str) -> str:
    """The 18th character of a resident ID number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


@dataclass(frozen=True)
class Resident:
    name: str
    unit: str
    role: str  # owner, family or tenant
    id_number: str
    birth_year: int
    phone: str | None = None
    lease_start: str | None = None
    lease_end: str | None = None
    lives_alone: bool = False
    card: str | None = None
    pin: str | None = None
    origin: str | None = None  # tenants: where they come from, for the tenant register
    layer: str | None = None  # tenants: focus, watch or stable


class Residents:
    """Makes households for one compound; remembers the ID numbers, cards and PINs handed out
    so that none is given twice."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self._ids: set[str] = set()
        self._cards: set[str] = set()
        self._pins: set[str] = set()

    # -- one person ------------------------------------------------------------------------

    def _size(self, weights: dict[int, int]) -> int:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def surname(self) -> str:
        return self.rng.choices(SURNAMES, cum_weights=_SURNAME_CUM)[0]

    def given(self, male: bool, born: int) -> str:
        era = "old" if born < 1965 else "mid" if born < 2000 else "young"
        return self.rng.choice(GIVEN[era][0 if male else 1])

    def id_number(self, male: bool, born: int, tenant: bool, area: str | None = None) -> str:
        if area is None:
            weights = [a[3] if tenant else a[2] for a in AREAS]
            area = self.rng.choices(AREAS, weights=weights)[0][0]
        while True:
            birth = date(born, 1, 1) + timedelta(days=self.rng.randrange(365))
            seq = self.rng.randrange(0, 500) * 2 + (1 if male else 0)
            first = f"{area}{birth:%Y%m%d}{seq:03d}"
            number = first + id_check_digit(first)
            if number not in self._ids:
                self._ids.add(number)
                return number

    def phone(self) -> str:
        return self.rng.choice(_MOBILE) + f"{self.rng.randrange(10**8):08d}"

    def card(self) -> str:
        while True:  # a 32-bit card serial as readers print it, in decimal
            number = str(self.rng.randrange(1_000_000_000, 4_294_967_296))
            if number not in self._cards:
                self._cards.add(number)
                return number

    def pin(self) -> str:
        while True:
            pin = f"{self.rng.randrange(10**6):06d}"
            easy = len(set(pin)) <= 2 or pin in "0123456789" or pin in "9876543210"
            if not easy and pin not in self._pins:
                self._pins.add(pin)
                return pin

    def person(
        self,
        unit: str,
        role: str,
        male: bool,
        born: int,
        surname: str | None = None,
        *,
        card_p: float = 0.94,
        pin_p: float = 0.12,
        lives_alone: bool = False,
        lease: tuple[str, str, str] | None = None,
        kin: list[Resident] | None = None,
    ) -> Resident:
        """One person; ``lease`` is a tenant's (start, end, layer). Someone born into ``kin``
        (the household so far, father first) has the father's area code and a name of their
        own."""
        tenant = role == "tenant"
        age = self.today.year - born
        number = self.id_number(male, born, tenant, kin[0].id_number[:6] if kin else None)
        origin = next(a[1] for a in AREAS if a[0] == number[:6]) if tenant else None
        child = age < 7
        taken = {r.name for r in kin or ()}
        while (name := (surname or self.surname()) + self.given(male, born)) in taken:
            pass
        return Resident(
            name=name,
            unit=unit,
            role=role,
            id_number=number,
            birth_year=born,
            phone=self.phone() if age >= 14 and self.rng.random() < 0.95 else None,
            card=self.card() if not child and self.rng.random() < card_p else None,
            pin=self.pin() if age >= 18 and self.rng.random() < pin_p else None,
            lease_start=lease[0] if lease else None,
            lease_end=lease[1] if lease else None,
            lives_alone=lives_alone,
            origin=origin,
            layer=lease[2] if lease else None,
        )

    # -- households ------------------------------------------------------------------------

    def elderly_alone(self, unit: str) -> list[Resident]:
        born = self.rng.randrange(1930, 1951)
        male = self.rng.random() < 0.35
        return [self.person(unit, "owner", male, born, card_p=0.85, pin_p=0.25, lives_alone=True)]

    def owners(self, unit: str) -> list[Resident]:
        """An owner-occupied household: a couple, their children, and one or two of the
        husband's parents."""
        size = self._size(OWNER_SIZES)
        rng = self.rng
        husband_born = rng.randrange(1955, 1993)
        wife_born = husband_born + rng.randrange(-2, 5)
        family = self.surname()
        head_is_husband = rng.random() < 0.6
        spouse_role = "owner" if rng.random() < 0.45 else "family"
        roles = ("owner", spouse_role) if head_is_husband else (spouse_role, "owner")
        husband = self.person(unit, roles[0], True, husband_born, family)
        wife = self.person(unit, roles[1], False, wife_born)
        kin = [husband, wife]
        rest = size - 2
        latest = self.today.year - 1
        if husband_born < 1966 and rest >= 2:
            # An older couple with their son, his wife and their grandchildren (三代同堂).
            son_born = wife_born + rng.randrange(22, 34)
            kin.append(self.person(unit, "family", True, son_born, family, kin=kin))
            kin.append(self.person(unit, "family", False, son_born + rng.randrange(-2, 4)))
            for _ in range(rest - 2):
                born = min(latest, son_born + rng.randrange(24, 36))
                male = rng.random() < 0.52
                kin.append(self.person(unit, "family", male, born, family, kin=kin))
            return kin if head_is_husband else [wife, husband, *kin[2:]]
        # Otherwise at most three children and two of the husband's parents.
        elders = rng.randrange(max(0, rest - 3), min(2, rest) + 1) if rest >= 2 else 0
        kids = rest - elders
        for _ in range(kids):
            born = min(latest, wife_born + rng.randrange(22, 39))
            male = rng.random() < 0.52
            kin.append(self.person(unit, "family", male, born, family, kin=kin))
        for i in range(elders):
            born = min(1962, husband_born - rng.randrange(24, 33))
            grandpa = i == 0 and elders == 2 or (elders == 1 and rng.random() < 0.35)
            if grandpa:  # the husband's father: his family name and area code
                kin.append(self.person(unit, "family", True, born, family, pin_p=0.2, kin=kin))
            else:
                kin.append(self.person(unit, "family", False, born, pin_p=0.2))
        return kin if head_is_husband else [wife, husband, *kin[2:]]

    def tenants(self, unit: str) -> list[Resident]:
        """A rented unit: a family or unrelated people sharing, with one lease."""
        rng = self.rng
        size = self._size(TENANT_SIZES)
        ended = rng.random() < 0.03  # a lease that ran out and nobody has moved them out yet
        if ended:
            end = self.today - timedelta(days=rng.randrange(1, 46))
        else:
            end = self.today + timedelta(days=rng.randrange(10, 700))
        start = min(self.today, end - timedelta(days=rng.choice((182, 365, 365, 730))))
        layer = rng.choices(list(TENANT_LAYERS), weights=list(TENANT_LAYERS.values()))[0]
        lease = (start.isoformat(), end.isoformat(), layer)
        if size >= 2 and rng.random() < 0.55:
            family = self.surname()
            adult = rng.randrange(1975, 2001)
            out = [
                self.person(unit, "tenant", True, adult, family, lease=lease),
                self.person(unit, "tenant", False, adult + rng.randrange(-2, 4), lease=lease),
            ]
            for _ in range(size - 2):
                born = min(self.today.year - 1, adult + rng.randrange(22, 36))
                male = rng.random() < 0.5
                out.append(self.person(unit, "tenant", male, born, family, lease=lease, kin=out))
            return out
        return [
            self.person(unit, "tenant", rng.random() < 0.55, rng.randrange(1975, 2004), lease=lease)
            for _ in range(size)
        ]
