"""The city tier for tests and benches: a NATS cluster (JetStream and its MQTT gateway) on
loopback, from Debian's ``nats-server``.

``CityCluster(sites=[...], nodes=3).start()`` writes one config per node (free ports, a
temporary JetStream store each), starts them, and waits until every node answers on MQTT and
the JetStream meta group has a leader. Each site gets its own user (``site_user``), allowed to
publish only its own ``city/<site>/outbox`` and to hear only its own ``city/<site>/ack`` and
``city/<site>/resend`` (NATS maps MQTT ``/`` to ``.``: the permissions are written as NATS
subjects); the platform's user reads every site's outbox and writes every site's ack and
resend request. MQTT sessions, QoS 1 messages and retained messages live in JetStream streams
with ``stream_replicas`` 3, so a node may die without losing them. NATS 2.9 speaks MQTT 3.1.1
only: clients use ``BusConfig(protocol=4)``.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from compound.adapters.broker import free_port
from compound.adapters.mqtt import BusConfig

PLATFORM_USER = "platform"
# NATS delivers an MQTT QoS 1 subscription from a JetStream consumer to this inbox: every MQTT
# user must be allowed to subscribe to it (the consumer's own filter is the permission-checked
# topic).
MQTT_DELIVERY = "$MQTT.sub.>"


def nats_server() -> str | None:
    """The ``nats-server`` binary, or None when it is not installed."""
    return shutil.which("nats-server") or (
        "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None
    )


def site_password(site: str) -> str:
    return f"pw-{site}"  # test credentials only; a real city issues one secret per box


def _quote(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def site_permissions(site: str, prefix: str = "city") -> dict[str, list[str]]:
    """What a compound's box may do on the cluster: its own site's topics, nothing else
    (``compound/<site>/...`` carries the bus's own availability and reply topics)."""
    return {
        "publish": [f"{prefix}.{site}.outbox", f"{prefix}.{site}.status", f"compound.{site}.>"],
        "subscribe": [
            f"{prefix}.{site}.ack",
            f"{prefix}.{site}.resend",
            f"compound.{site}.>",
            MQTT_DELIVERY,
        ],
    }


def platform_permissions(prefix: str = "city") -> dict[str, list[str]]:
    return {
        "publish": [f"{prefix}.*.ack", f"{prefix}.*.resend", "compound.city.>"],
        "subscribe": [
            f"{prefix}.*.outbox",
            f"{prefix}.*.status",
            "compound.*.device.*.availability",
            "compound.city.>",
            MQTT_DELIVERY,
        ],
    }


def _user(name: str, password: str, perms: dict[str, list[str]]) -> str:
    return (
        f"{{user: {json.dumps(name)}, password: {json.dumps(password)}, permissions: {{"
        f" publish: {{allow: {_quote(perms['publish'])}}},"
        f" subscribe: {{allow: {_quote(perms['subscribe'])}}} }} }}"
    )


@dataclass
class Node:
    name: str
    client_port: int
    cluster_port: int
    mqtt_port: int
    http_port: int
    store: Path
    conf: Path
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None


@dataclass
class CityCluster:
    sites: list[str]
    nodes: int = 3
    prefix: str = "city"
    tls: dict[str, str] | None = None  # {"ca", "cert", "key"} for the MQTT listeners
    # Replicas of the JetStream consumer behind each MQTT QoS 1 subscription (None: as many as
    # the streams). Three survive a node; each is a Raft group, about a second to create on two
    # busy cores, so a hundred boxes with three subscriptions each take minutes to connect.
    consumer_replicas: int | None = None
    workdir: Path | None = None
    members: list[Node] = field(default_factory=list)
    _own_dir: bool = False

    # -- configuration ---------------------------------------------------------------------

    def _layout(self) -> None:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="city-cluster-"))
            self._own_dir = True
        for i in range(self.nodes):
            name = f"n{i + 1}"
            store = self.workdir / name
            store.mkdir(parents=True, exist_ok=True)
            self.members.append(
                Node(
                    name,
                    free_port(),
                    free_port(),
                    free_port(),
                    free_port(),
                    store,
                    self.workdir / f"{name}.conf",
                )
            )
        for node in self.members:
            node.conf.write_text(self._config(node))

    def _config(self, node: Node) -> str:
        users = [_user(PLATFORM_USER, "pw-platform", platform_permissions(self.prefix))]
        users += [_user(s, site_password(s), site_permissions(s, self.prefix)) for s in self.sites]
        routes = [f"nats-route://127.0.0.1:{n.cluster_port}" for n in self.members if n != node]
        tls = ""
        if self.tls is not None:
            tls = (
                f"  tls {{ cert_file: {json.dumps(self.tls['cert'])},"
                f" key_file: {json.dumps(self.tls['key'])},"
                f" ca_file: {json.dumps(self.tls['ca'])} }}\n"
            )
        cluster = ""
        if self.nodes > 1:
            cluster = (
                "cluster {\n  name: city\n"
                f"  listen: 127.0.0.1:{node.cluster_port}\n"
                f"  routes: {_quote(routes)}\n}}\n"
            )
        replicas = min(3, self.nodes)
        user_lines = ",\n    ".join(users)
        return (
            f"server_name: {node.name}\nlisten: 127.0.0.1:{node.client_port}\n"
            f"http: 127.0.0.1:{node.http_port}\n"
            f"jetstream {{ store_dir: {json.dumps(str(node.store))},"
            " max_memory_store: 64MB, max_file_store: 1GB }\n"
            f"{cluster}"
            f"mqtt {{\n  listen: 127.0.0.1:{node.mqtt_port}\n{tls}"
            f"  stream_replicas: {replicas}\n"
            f"  consumer_replicas: {self.consumer_replicas or replicas}\n"
            '  ack_wait: "10s"\n  max_ack_pending: 1024\n}\n'
            "accounts {\n"
            f"  CITY {{ jetstream: enabled, users: [\n    {user_lines}\n  ] }}\n"
            '  SYS { users: [{user: "sys", password: "pw-sys"}] }\n'
            "}\nsystem_account: SYS\n"
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> CityCluster:
        binary = nats_server()
        if binary is None:
            raise FileNotFoundError("nats-server is not installed (apt-get install nats-server)")
        self._layout()
        for node in self.members:
            self.start_node(node)
        self.wait_ready(timeout)
        return self

    def start_node(self, node: Node) -> None:
        binary = nats_server()
        if binary is None or self.workdir is None:
            raise RuntimeError("start() the cluster first (and install nats-server)")
        node.log = self.workdir / f"{node.name}.log"
        with node.log.open("ab") as out:
            node.proc = subprocess.Popen(
                [binary, "-c", str(node.conf)], stdout=out, stderr=subprocess.STDOUT
            )

    def kill(self, node: Node) -> None:
        """SIGKILL one node (its JetStream store stays for a restart)."""
        if node.proc is not None and node.proc.poll() is None:
            node.proc.send_signal(signal.SIGKILL)
            node.proc.wait(10)
        node.proc = None

    def _jsz(self, node: Node) -> dict[str, object] | None:
        url = f"http://127.0.0.1:{node.http_port}/jsz"
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                data: dict[str, object] = json.loads(r.read())
                return data
        except (OSError, ValueError):
            return None

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Every running node answers and the JetStream meta group has a leader."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            live = [n for n in self.members if n.proc is not None]
            infos = [self._jsz(n) for n in live]
            if all(infos) and (self.nodes == 1 or all(self._has_leader(i) for i in infos)):
                return
            for n in live:
                if n.proc is not None and n.proc.poll() is not None:
                    raise RuntimeError(f"nats-server {n.name} exited: {self.tail(n)}")
            time.sleep(0.2)
        raise TimeoutError(f"NATS cluster not ready in {timeout:.0f} s: {self.tail(live[0])}")

    @staticmethod
    def _has_leader(info: dict[str, object] | None) -> bool:
        meta = info.get("meta_cluster") if info else None
        return isinstance(meta, dict) and bool(meta.get("leader"))

    def tail(self, node: Node, lines: int = 15) -> str:
        if node.log is None or not node.log.exists():
            return ""
        return "\n".join(node.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        for node in self.members:
            if node.proc is not None and node.proc.poll() is None:
                node.proc.terminate()
                try:
                    node.proc.wait(10)
                except subprocess.TimeoutExpired:
                    node.proc.kill()
                    node.proc.wait(5)
            node.proc = None
        if self._own_dir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- what clients need -----------------------------------------------------------------

    def bus_config(self, user: str, node: int = 0, *, failover: bool = False) -> BusConfig:
        """MQTT 3.1.1 to one node's gateway, as ``user`` (a site, or ``PLATFORM_USER``); with
        ``failover`` the other nodes follow as fallbacks (``[uplink] nodes``)."""
        password = "pw-platform" if user == PLATFORM_USER else site_password(user)
        ca = self.tls["ca"] if self.tls is not None else None
        port = self.members[node].mqtt_port
        others = self.members[node + 1 :] + self.members[:node] if failover else []
        return BusConfig(
            port=port,
            username=user,
            password=password,
            protocol=4,
            tls_ca=ca,
            fallbacks=tuple(("127.0.0.1", n.mqtt_port) for n in others),
            replies=False,
            retry_refused=True,
        )
