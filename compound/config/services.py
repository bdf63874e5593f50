"""The services' sections of the config file: the intercom, the alert rules, the uplink to the
city platform, the face service, and the limits on visitor passes from indoor stations."""

from __future__ import annotations

from dataclasses import dataclass, field

from compound.camera_config import CameraWiring, FaceDoorWiring
from compound.config.checks import bounded


@dataclass(frozen=True)
class IntercomConfig:
    ring_timeout_s: float = bounded(45.0, 30.0, 60.0)
    forward_to_desk: bool = True  # busy or unanswered calls ring the property desk
    desk: str = "desk"  # station group of the property desk
    officer: str = "officer"  # station group that the emergency button calls
    talk_timeout_s: float = bounded(90.0, 30.0, 300.0)  # an answered call ends after this


SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class CountRuleConfig:
    """A warning line: more than ``threshold`` events of ``event_type`` within ``window_s``."""

    name: str = "count"
    event_type: str = "access.denied"
    threshold: int = bounded(20, 1, 1_000_000)
    window_s: float = bounded(600.0, 1.0, 31 * 86400.0)
    severity: str = bounded("medium", choices=SEVERITIES)
    # count each door separately instead of the whole site
    per_door: bool = False


@dataclass(frozen=True)
class AlertsConfig:
    # elderly person living alone not seen at any door for this many hours
    elderly_unseen_h: float = bounded(48.0, 24.0, 72.0)
    elderly_severity: str = bounded("high", choices=SEVERITIES)
    # GB 50396 wants an alarm after at most 5 consecutive failures at one door
    failed_attempts: int = bounded(5, 2, 5)
    failed_window_s: float = bounded(300.0, 10.0, 86400.0)
    failed_severity: str = bounded("medium", choices=SEVERITIES)
    # suspected group rental: distinct entrants > occupants * factor and > occupants + min_extra
    group_rental_factor: float = bounded(2.0, 1.0, 20.0)
    group_rental_min_extra: int = bounded(3, 1, 100)
    group_rental_days: float = bounded(7.0, 1.0, 31.0)
    group_rental_severity: str = bounded("medium", choices=SEVERITIES)
    # an unknown face seen this many times within this many days
    unknown_face_count: int = bounded(3, 2, 100)
    unknown_face_days: float = bounded(7.0, 1.0, 30.0)
    # sightings of one track closer together than this are one visit
    unknown_face_gap_s: float = bounded(600.0, 0.0, 86400.0)
    unknown_face_severity: str = bounded("medium", choices=SEVERITIES)
    # intrusion and perimeter zones from the alarm inputs
    zone_severity: str = bounded("critical", choices=SEVERITIES)
    # how often the "not seen" and lease-end checks run
    tick_s: float = bounded(60.0, 1.0, 3600.0)
    count_rules: list[CountRuleConfig] = field(default_factory=list)


@dataclass(frozen=True)
class UplinkConfig:
    """The city / police platform's broker; the outbox drains there over TLS."""

    host: str = "127.0.0.1"
    port: int = bounded(8883, 1, 65535)
    protocol: int = bounded(5, choices=(4, 5))
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    username: str | None = None
    password_file: str | None = None
    # records go to <topic_prefix>/<site>/<kind>
    topic_prefix: str = "city"
    # records published but not yet acknowledged (PUBACK) at any time
    window: int = bounded(32, 1, 100)
    # confirmed rows older than this are pruned; unconfirmed rows are never pruned
    keep_sent_days: float = bounded(30.0, 5.0, 3650.0)
    # a record is done only when the platform's cumulative acknowledgement covers it; false for
    # a platform that does not acknowledge (the broker's PUBACK then counts as delivery)
    require_platform_ack: bool = True
    # sent records the platform has not confirmed within this are sent again, oldest first
    confirm_timeout_s: float = bounded(10.0, 1.0, 600.0)
    # at most this many records sent and not yet confirmed by the platform
    max_unconfirmed: int = bounded(2000, 32, 100000)
    # the city broker's other nodes ("host:port"), tried in turn when the current one is lost
    nodes: list[str] = field(default_factory=list)
    # resends the box starts wait longer each time (doubling, jittered) up to this
    backoff_cap_s: float = bounded(120.0, 1.0, 3600.0)


@dataclass(frozen=True)
class FaceConfig:
    """The face service: one camera at one door (see docs/face.md for the thresholds)."""

    # "/dev/video0", "0", "rtsp://...", or "replay:FOLDER" (photos played as a camera)
    source: str = ""
    camera: str = "cam1"
    door: str = ""
    # largest accepted descriptor distance; dlib's 0.6 is a 1:1 tolerance, too loose for 1:N
    threshold: float = bounded(0.45, 0.2, 0.6)
    # the best person must be this much nearer than any other person
    margin: float = bounded(0.08, 0.0, 0.3)
    # consecutive frames that must name the same person
    agree_frames: int = bounded(3, 1, 30)
    # frames wider than this are shrunk for detection; each upsample finds faces half as large
    detect_width: int = bounded(320, 160, 1920)
    upsample: int = bounded(1, 0, 2)
    # child processes that detect and encode faces for the cameras (about one per core, so
    # that people arriving at several doors at once are served side by side); 0: one worker
    # in the face service's own process
    workers: int = bounded(2, 0, 8)
    fps: float = bounded(8.0, 0.5, 30.0)
    preview_fps: float = bounded(3.0, 0.0, 15.0)
    liveness: bool = True
    liveness_window_s: float = bounded(6.0, 2.0, 30.0)
    # after a request for one person, wait this long before asking again for them
    cooldown_s: float = bounded(5.0, 1.0, 60.0)
    # how long a stranger's face is remembered (in memory only) to count repeat visits; 0: never
    stranger_memory_h: float = bounded(168.0, 0.0, 720.0)
    # [[face.cameras]], all served by one `compound face run`; empty: the one camera above
    cameras: list[CameraWiring] = field(default_factory=list)
    # [[face.doors]]: a door's own challenge rule (by person, by hours, or never)
    doors: list[FaceDoorWiring] = field(default_factory=list)


@dataclass(frozen=True)
class StationPassesConfig:
    """Visitor passes a resident issues from the indoor station (``[station_passes]``): limits
    per unit, so a compromised or careless station cannot flood the register or hand out a
    pass that opens for weeks. The property office's own passes are not limited by these."""

    max_hours: float = bounded(48.0, 1.0, 168.0)  # longest validity of one pass
    max_uses: int = bounded(10, 1, 100)  # passages one pass opens for
    per_unit_per_day: int = bounded(10, 1, 200)  # passes a unit may issue in 24 hours
