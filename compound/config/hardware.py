"""The door hardware in the config file (``[bridge]``): the relay boards, the doors wired to
them, the entrance controllers (MCUs) and the alarm zones on the boards' inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

from compound.config.checks import bounded


@dataclass(frozen=True)
class BoardWiring:
    """One Modbus RTU relay/input board on an RS-485 line."""

    name: str = "board1"
    port: str = "/dev/ttyUSB0"  # a device path or a pyserial URL
    baud: int = bounded(9600, choices=(2400, 4800, 9600, 19200, 38400, 57600, 115200))
    unit: int = bounded(1, 1, 247)  # Modbus device address
    inputs: int = bounded(8, 1, 32)  # discrete inputs read on every poll
    fire_input: int = bounded(-1, -1, 31)  # input wired to the fire panel; -1: none


@dataclass(frozen=True)
class DoorWiring:
    """Which relay and inputs of which board belong to a door; -1 means not wired."""

    id: str = ""
    board: str = "board1"
    relay: int = bounded(0, 0, 31)
    contact: int = bounded(-1, -1, 31)
    exit: int = bounded(-1, -1, 31)
    tamper: int = bounded(-1, -1, 31)
    lock: str = bounded("strike", choices=("strike", "maglock"))
    egress: bool = True
    open_time_s: float = bounded(5.0, 1.0, 600.0)
    held_open_s: float = bounded(60.0, 2.0, 3600.0)


@dataclass(frozen=True)
class McuWiring:
    """An entrance's intercom/reader microcontroller on its own serial line."""

    name: str = "mcu1"
    port: str = "/dev/ttyUSB1"
    baud: int = bounded(115200, choices=(9600, 19200, 38400, 57600, 115200))
    door: str = ""  # the door whose reader, keypad and call button it carries


ALWAYS_ARMED_ZONES = ("panic", "smoke", "gas", "water")  # 24-hour zones: never disarmed


@dataclass(frozen=True)
class ZoneWiring:
    """An alarm zone (区域报警) on a board's discrete input (``firmware_bridge/zones.py``)."""

    id: str = ""  # its id on the bus (letters, digits, '_', '.', '-')
    name: str = ""  # what the officer reads, e.g. "North fence, section 3"
    location: str = ""
    board: str = "board1"
    input: int = bounded(0, 0, 31)
    fault_input: int = bounded(-1, -1, 31)  # the board's "loop cut or shorted" bit; -1: none
    kind: str = bounded("perimeter", choices=("perimeter", "intrusion", *ALWAYS_ARMED_ZONES))
    normally: str = bounded("closed", choices=("closed", "open"))
    debounce_s: float = bounded(0.3, 0.0, 10.0)


@dataclass(frozen=True)
class BridgeConfig:
    client_id: str = "bridge"
    # The per-door command keys, door-<door>.key, as `compound devices add NAME --role bridge
    # --door DOOR --key-dir DIR` writes them; default: [store] key_dir. Never the master key.
    key_dir: str = ""
    # The bridge's own files (the journal of door events); default: bridge/ beside the database.
    state_dir: str = ""
    poll_interval_s: float = bounded(0.05, 0.01, 1.0)
    mcu_heartbeat_timeout_s: float = bounded(5.0, 1.0, 60.0)
    boards: list[BoardWiring] = field(default_factory=list)
    doors: list[DoorWiring] = field(default_factory=list)
    mcus: list[McuWiring] = field(default_factory=list)
    zones: list[ZoneWiring] = field(default_factory=list)
    # The broker user of Home Assistant (`compound devices add ha --role ha`): its locks'
    # command topic, in the discovery configs, names it, as the ACL requires.
    ha_user: str = "ha"
