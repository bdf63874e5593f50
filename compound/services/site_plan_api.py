"""The site plan on the bus (a core extension): the manager console uploads the plan image and
places doors on it; the officer wall reads it to draw the map.

- ``siteplan.upload`` {image: base64 PNG or JPEG} → {version, width, height}. The image is
  decoded here (``compound.adapters.images``: size read from the header first, 16 MP at most,
  truncated files refused) and kept as a JPEG of at most 1600 px a side, re-encoded by the
  core, so the wall never decodes what a console sent and no metadata of the original is kept.
  It is the one request larger than the bus's usual 16 KB, so this method is served with its
  own size limit, below the broker's packet limit (1 MiB in the shipped Mosquitto config).
- ``siteplan.get`` {version, image} → {plan: null} or {plan: {version, width, height, ...},
  doors: {door: [x, y]}, image: base64 JPEG}; the image only when asked for and when the
  caller's ``version`` is not the current one, so a wall that asks again every minute gets the
  positions without the picture.
- ``siteplan.place`` {door, x, y} and ``siteplan.unplace`` {door}: positions as fractions of
  the plan's width and height (0..1, from the top left).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from compound.adapters import images
from compound.domain.model import InvalidInput
from compound.ports import actor_of
from compound.services.extension import Offers
from compound.store.site_plan import SitePlans

if TYPE_CHECKING:
    from compound.services.core import Core

MAX_IMAGE = 680_000  # bytes of a plan image as sent and as kept; base64 of it fits one packet
UPLOAD_PAYLOAD = 1_000_000  # the upload request's size limit (the broker's packet is 1 MiB)
PLAN_SIDE = 1600  # pixels on the long side of the kept image
QUALITIES = (85, 75, 65, 50)  # JPEG quality tried in turn until the plan fits MAX_IMAGE
MAGIC = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


class SitePlanApi:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.plans = SitePlans(core.store)

    def offers(self) -> Offers:
        return Offers(
            api={
                "siteplan.get": self.get,
                "siteplan.place": self.place,
                "siteplan.unplace": self.unplace,
            }
        )

    def start(self) -> None:
        self.core.bus.serve(
            {"siteplan.upload": self.upload},
            refusals=(InvalidInput,),
            max_payload=UPLOAD_PAYLOAD,
            counters=self.core.counters,
        )

    def stop(self) -> None:
        pass

    def upload(self, p: dict[str, Any]) -> dict[str, Any]:
        raw = p.get("image")
        if not isinstance(raw, str) or not raw:
            raise InvalidInput("image: a PNG or JPEG file, base64-encoded")
        if len(raw) > (MAX_IMAGE * 4) // 3 + 4:
            raise InvalidInput(f"the plan image is larger than {MAX_IMAGE // 1000} kB")
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("image is not valid base64") from None
        if not any(data.startswith(m) for m in MAGIC):
            raise InvalidInput("the site plan must be a PNG or JPEG image")
        rgb = images.decode(data, what="site plan")
        h, w = int(rgb.shape[0]), int(rgb.shape[1])
        jpeg = b""
        for q in QUALITIES:
            jpeg = images.jpeg(rgb, width=PLAN_SIDE, quality=q)
            if len(jpeg) <= MAX_IMAGE:
                break
        else:
            raise InvalidInput("the plan image has too much detail to keep: use a simpler scan")
        version = self.plans.set_image(jpeg, w, h, _actor(p))
        return {"version": version, "width": w, "height": h, "bytes": len(jpeg)}

    def get(self, p: dict[str, Any]) -> dict[str, Any]:
        plan = self.plans.plan()
        if plan is None:
            return {"plan": None, "doors": {}}
        out: dict[str, Any] = {
            "plan": plan,
            "doors": {d: [x, y] for d, (x, y) in self.plans.positions().items()},
        }
        if p.get("image") is True and p.get("version") != plan["version"]:
            out["image"] = base64.b64encode(self.plans.image() or b"").decode()
        return out

    def place(self, p: dict[str, Any]) -> dict[str, Any]:
        try:
            x, y = float(p["x"]), float(p["y"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("x and y must be numbers between 0 and 1") from None
        return self.plans.place(str(p.get("door", "")), x, y, _actor(p))

    def unplace(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.plans.unplace(str(p.get("door", "")), _actor(p))


def _actor(p: dict[str, Any]) -> str:
    """Who asked: the broker user the bus put in the parameters, never a name sent by them."""
    return actor_of(p) or "console"
