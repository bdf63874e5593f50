"""The face service's random liveness challenge on the door panel: the prompt the person must
act on, in both languages whatever the screen's language, and "not live" when it failed."""

from __future__ import annotations

from compound.domain.clock import ManualClock
from compound.domain.face.challenge import KINDS, PROMPTS
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.door import DoorPanelVM
from ui.viewmodels.door_parse import CHALLENGES


def _challenge(kind: str) -> dict[str, object]:
    zh, en = PROMPTS[kind]
    return {
        "status": "challenge",
        "faces": [],
        "challenge": {"id": "c1", "kind": kind, "zh": zh, "en": en, "expires_at": 0},
    }


def test_each_challenge_is_shown_in_both_languages() -> None:
    """The panel knows every challenge the face service can draw, and says it as the service
    words it, in Chinese and English at once."""
    assert set(CHALLENGES) == set(KINDS)
    for lang in ("zh", "en"):
        gw = LocalGateway()
        vm = DoorPanelVM(gw, Strings(lang), ManualClock(), "b3-e2")
        for kind in KINDS:
            gw.deliver("face/b3-e2/result", _challenge(kind))
            assert vm.status_line.split("\n") == list(PROMPTS[kind])
        gw.deliver("face/b3-e2/result", {"status": "not live", "faces": []})
        assert "PIN" in vm.status_line or "密码" in vm.status_line
