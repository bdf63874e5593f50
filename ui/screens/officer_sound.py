"""The wall's alert sound: three short tones, written once as a WAV file (standard library)
and played through Kivy's audio. A wall without an audio device (or without an audio provider
in Kivy) logs that once and stays silent; the alarm queue and the call strip show everything
the sound announces."""

from __future__ import annotations

import logging
import math
import struct
import tempfile
import wave
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

RATE = 16_000
TONES = ((880.0, 0.18), (0.0, 0.08), (880.0, 0.18), (0.0, 0.08), (1175.0, 0.30))


def write_alert(path: Path) -> Path:
    frames = bytearray()
    for freq, seconds in TONES:
        for i in range(int(RATE * seconds)):
            v = 0.5 * math.sin(2 * math.pi * freq * i / RATE) if freq else 0.0
            frames += struct.pack("<h", int(v * 32767))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return path


class AlertSound:
    def __init__(self) -> None:
        self.sound: Any = None
        self.failed = False

    def play(self) -> None:
        if self.sound is None and not self.failed:
            try:
                from kivy.core.audio import SoundLoader

                path = write_alert(Path(tempfile.gettempdir()) / "compound-wall-alert.wav")
                self.sound = SoundLoader.load(str(path))
            except Exception:  # no audio provider or device: say so once, stay silent
                log.exception("the wall's alert sound cannot be played")
            if self.sound is None:
                self.failed = True
                log.warning("no audio on this wall: alerts are shown, not heard")
                return
        if self.sound is not None:
            self.sound.stop()
            self.sound.play()
