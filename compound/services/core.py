"""The core service (``compound core``): decides, logs, commands.

It answers access requests from the doors, sends signed unlock commands, turns door events into
logged events and alarms, streams every logged event to the UIs, and serves the request/response
API that the UIs and the CLI use. Features beyond the foundation (intercom, face enrolment,
community safety, uplink) plug in as extensions: ``features`` builds them, and the core reads what
each offers (``compound.services.extension``) when it starts.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from typing import Any

from compound.adapters import keys
from compound.adapters.mqtt import Bus, Message, actor_of
from compound.config import Config
from compound.domain.access import Decision, Reason, decide, public_reason
from compound.domain.clock import Clock
from compound.domain.intake import IntakeRules
from compound.domain.model import Event, InvalidInput, display_name
from compound.protocol.access_channels import channel_of, from_key
from compound.protocol.messages import (
    AccessRequest,
    AccessResult,
    DoorCommand,
    MessageError,
    SeenIds,
    encode,
    new_id,
)
from compound.services.askers import refusing_revoked
from compound.services.command_seq import CommandSeq
from compound.services.decision_log import DecisionLog
from compound.services.door_feed import DoorFeed
from compound.services.extension import (
    AccessGate,
    AccessHook,
    ApiMethod,
    EventHook,
    Extension,
    Offers,
    ResultHook,
)
from compound.services.intake import DecisionWorker
from compound.services.log_outage import LogOutage
from compound.services.remote_open import remote_unlock
from compound.services.topic_counts import TopicCounts
from compound.store.db import Store, StoreError

log = logging.getLogger(__name__)

STUCK_S = 20.0  # door requests waiting this long with no decision: the core is not healthy
STATUS_DOORS = 50  # door states in a status reply (door.list pages through them all)


class Core:
    def __init__(
        self,
        store: Store,
        bus: Bus,
        clock: Clock,
        config: Config,
        features: Callable[[Core], Sequence[Extension]] | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.config = config
        self.topics = bus.topics
        self.counters: Counter[str] = Counter()
        self.api: dict[str, ApiMethod] = {}
        # What each topic a device floods the core with brought (``services/quarantine.py``).
        self.arrivals = TopicCounts()
        self.doors = DoorFeed(store, clock, self.topics, self.counters, arrivals=self.arrivals)
        self.door_states = self.doors.states  # the last state each door reported
        self._seen_requests = SeenIds()
        self.log_outage = LogOutage(store, bus, self.counters)  # a full disk: "system busy"
        self._seqs = CommandSeq(store, clock)  # kept in the database: clock steps, restarts
        self._features = features
        self.extensions: list[Extension] = []
        self.access_hooks: list[AccessHook] = []
        self.access_gates: list[AccessGate] = []
        self.result_hooks: list[ResultHook] = []
        self._event_hooks: list[EventHook] = []
        self.decision_log = DecisionLog(store, self.access_hooks, self.counters)  # import-proof
        c = config.core
        self.decisions = DecisionWorker(
            self.handle_access,
            self._flood_alarm,
            IntakeRules(c.door_rate_per_s, c.door_burst, c.door_queue, c.intake_total),
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the core and its features; a part failing to start stops what had started, so
        no thread of a core that never ran is left ticking on a store its caller then closes."""
        try:
            self._start()
        except BaseException:
            try:
                self.stop()
            except Exception:  # the error that stopped the start is the one to report
                log.exception("stopping a core that failed to start failed")
            raise

    def _start(self) -> None:
        self.api.update(
            {
                "status": self.api_status,
                "door.unlock": self.api_door_unlock,
                "alarm.ack": self.api_alarm_ack,
                "lockdown.set": self.api_lockdown,
                "log.verify": lambda p: asdict(self.store.verify_log()),
            }
        )
        self.store.event_hooks.append(self._stream_event)
        self.decision_log.start()
        self.decisions.start()
        self.bus.subscribe(self.topics.all("access/+/request"), self.on_access_request)
        self.bus.subscribe(self.topics.all("access/+/request/+"), self.on_access_request)
        self.doors.listen(self.bus)  # the doors' events and states
        self.extensions = list(self._features(self)) if self._features is not None else []
        for ext in self.extensions:
            self._take(ext.offers())
        for ext in self.extensions:
            ext.start()
        served = refusing_revoked(self.store, self.counters, self.api)
        self.bus.serve(served, refusals=(InvalidInput,), counters=self.counters)
        # Retained lockdown state, again on every (re)connect: a broker may restart empty.
        self.bus.on_connect_hooks.append(self.publish_lockdown)
        if self.bus.connected:
            self.publish_lockdown()

    def health(self) -> str | None:
        """What keeps the core from deciding at the doors now, or None. The systemd watchdog is
        fed only while this is None, so a core that is up but deaf or stuck gets restarted."""
        if not getattr(self.bus, "network_alive", True):
            return "the bus's network thread has stopped"
        if not self.decisions.alive:
            return "the decision thread has stopped"
        stuck = self.decisions.stuck_for()
        if stuck > STUCK_S:
            return f"door requests waiting with no decision for {stuck:.0f} s"
        try:
            self.store.read("SELECT 1 FROM settings LIMIT 1")
        except Exception as e:  # any failure to read the database is a failure of health
            return f"the database cannot be read: {e}"
        return None

    def publish_lockdown(self) -> None:
        on = self.store.lockdown()
        self.bus.publish(self.topics.site_lockdown, {"on": on, "at": self.clock.now()}, retain=True)

    def stop(self) -> None:
        self.doors.stop()  # the events dropped are sent again until logged
        self.decisions.stop()
        self.decision_log.stop()
        for ext in reversed(self.extensions):
            try:
                ext.stop()
            except Exception:
                log.exception("stopping %s failed", type(ext).__name__)
        for hook in [self._stream_event, *self._event_hooks]:
            if hook in self.store.event_hooks:
                self.store.event_hooks.remove(hook)
        self.store.checkpoint_at_shutdown()  # the log's head, signed, so a cut is seen

    def _take(self, offers: Offers) -> None:
        if clash := sorted(set(offers.api) & set(self.api)):
            raise ValueError(f"API methods offered twice: {', '.join(clash)}")
        self.api.update(offers.api)
        self.access_gates.extend(offers.access_gates)
        self.access_hooks.extend(offers.access_hooks)
        self.result_hooks.extend(offers.result_hooks)
        self._event_hooks.extend(offers.event_hooks)
        self.store.event_hooks.extend(offers.event_hooks)

    # -- access ----------------------------------------------------------------------------

    def on_access_request(self, msg: Message) -> None:
        # The broker's ACL fixes who may write each topic, so the topic says who is speaking
        # (``compound.protocol.access_channels``): the door's reader, its panel or the face
        # service, each with a rate and a queue of its own. Within that rate, or dropped before
        # anything else is done with it: a flood then costs this thread a lookup per message.
        channel = channel_of(self.topics.split(msg.topic))
        if channel is None:
            self.counters["access.wrong_topic"] += 1
            return
        if not self.decisions.admit(channel.key):
            self.counters["access.shed.rate"] += 1
            return
        try:
            req = AccessRequest.decode(msg.payload)
        except MessageError as e:
            self.counters["access.malformed"] += 1
            log.warning("malformed access request on %s: %s", msg.topic, e)
            return
        if req.door_id != channel.door:
            self.counters["access.wrong_topic"] += 1
            log.warning("access request for %s arrived on %s", req.door_id, msg.topic)
            return
        if not channel.allows(req.kind):
            self.counters["access.kind_not_allowed"] += 1
            log.warning(
                "refused a %s request for %s on %s: not a credential that sender can assert",
                req.kind,
                req.door_id,
                msg.topic,
            )
            return
        if msg.retain:
            # A retained request would be replayed to the core at every reconnect.
            self.counters["access.retained"] += 1
            return
        if not self._seen_requests.add(req.id):
            self.counters["access.replayed"] += 1
            log.warning("replayed access request %s at %s", req.id, req.door_id)
            return
        # The log names the sender the topic proves (reader, panel, face), beside the source
        # the message claims for itself.
        req = replace(req, channel=channel.sender)
        shed = self.decisions.put(channel.key, req)  # decided on the decision thread, in turn
        if shed is not None:
            self.counters[f"access.shed.{shed}"] += 1

    def _flood_alarm(self, key: str, shed: int) -> None:
        ch = from_key(key)  # the intake's key: which door, and which of its senders floods
        self.store.raise_alarm(
            "flood",
            f"{ch.door}: its {ch.sender} sends more access requests than any door can"
            f" ({shed} dropped)",
            severity="high",
            door_id=ch.door,
            data={"shed": shed, "sender": ch.sender},
        )

    def handle_access(self, req: AccessRequest) -> Decision:
        self.store.read_unlocked()  # this thread's facts never wait for a writer's lock
        now = self.clock.now()
        stale = abs(now - req.at) > self.config.core.request_max_age_s
        facts = self.store.facts(req.door_id, req.kind, req.value)
        decision = decide(facts, now, self.store.tz)
        refusal = next((r for g in list(self.access_gates) if (r := g(req, now))), None)
        if refusal is not None:
            decision = Decision(False, refusal, req.door_id)
        if stale and decision.granted:
            decision = Decision(
                False, Reason.EXPIRED, req.door_id, decision.person_id, decision.credential_id
            )
        granted = decision.granted
        data: dict[str, Any] = {
            "kind": req.kind,
            "reason": str(decision.reason),
            "request_id": req.id,
            "source": req.source,
        }
        if req.channel is not None:
            data["channel"] = req.channel
        if decision.credential_id is not None:
            data["credential_id"] = decision.credential_id
        if req.score is not None:
            data["score"] = round(req.score, 4)
        if stale:
            data["stale"] = True
        # The passage record for the city platform: time, door, credential type and an opaque
        # person reference; never a template, a photo or an ID number.
        uplink = (
            {
                "type": "passage",
                "door": req.door_id,
                "credential": req.kind,
                "person_ref": decision.person_id,
                "at": now,
            }
            if granted
            else None
        )
        try:
            event = self.decision_log.append(req, decision, now, data, uplink)
        except StoreError as e:  # not logged, so not done: the door stays locked
            return self.log_outage.refuse(req, now, e)
        person = facts.person
        result = AccessResult(
            request_id=req.id,
            door_id=req.door_id,
            granted=granted,
            reason=str(public_reason(req.kind, decision.reason)),
            at=now,
            # Door panels read results: they learn a display name, never a person id.
            person_id=None,
            display_name=display_name(person.name) if (granted and person) else None,
        )
        for add in list(self.result_hooks):  # e.g. the attempt limits: tries left, lockout
            result = add(req, decision, result)
        self.bus.publish(self.topics.access_result(req.door_id), encode(result))
        if granted and facts.door is not None:
            self.send_command(req.door_id, "unlock", f"{req.kind} access", facts.door.open_time_s)
        self.counters["access.granted" if granted else "access.denied"] += 1
        if event is not None:  # a journaled decision's hooks run once it reaches the log
            self.decision_log.run_hooks(req, decision, event)
        return decision

    # -- door commands ---------------------------------------------------------------------

    def _next_seq(self) -> int:
        # Always increasing, across restarts and a clock stepped back: doors refuse a lower one.
        return self._seqs.next()

    def send_command(
        self,
        door_id: str,
        action: str,
        reason: str,
        duration_s: float | None = None,
        override: bool = False,
    ) -> DoorCommand:
        if action == "unlock" and duration_s is None and (door := self.store.door(door_id)):
            duration_s = door.open_time_s  # every unlock path: the door record's open time
        now = self.clock.now()
        cmd = DoorCommand(
            id=new_id(),
            door_id=door_id,
            action=action,
            issued_at=now,
            expires_at=now + self.config.core.command_ttl_s,
            reason=reason[:200],
            seq=self._next_seq(),
            duration_s=duration_s,
            override=True if override else None,  # absent unless set: old commands unchanged
        ).signed(keys.door_command_key(self.store.master_key, door_id))
        self.bus.publish(self.topics.door_cmd(door_id), encode(cmd), qos=1, retain=False)
        self.counters[f"command.{action}"] += 1
        return cmd

    def unlock(
        self, door_id: str, reason: str, by: str, actor: str, override: bool = False
    ) -> DoorCommand:
        """A remote open; in lockdown only with ``override`` (``services/remote_open.py``)."""
        args = (door_id, reason, by, actor, override)
        log = self.decision_log.record  # a remote open is not held behind an import either
        return remote_unlock(self.store, self.counters, self.send_command, *args, log=log)

    # -- event stream ----------------------------------------------------------------------

    def _stream_event(self, event: Event) -> None:
        body = event.as_dict()
        self.bus.publish(self.topics.events(event.type), body, qos=1)

    # -- API -------------------------------------------------------------------------------

    def api_status(self, params: dict[str, Any]) -> dict[str, Any]:
        # The first doors' states only: every door, a page at a time, is door.list's
        # (services/core_lists.py); door_count says how many there are.
        doors = self.store.read("SELECT id FROM doors ORDER BY id LIMIT ?", (STATUS_DOORS,))
        return {
            "site": self.store.site_id,
            "time": self.clock.now(),
            "lockdown": self.store.lockdown(),
            "doors": {d["id"]: self.door_states.get(d["id"], {"state": "unknown"}) for d in doors},
            "door_count": self.store.read("SELECT COUNT(*) AS n FROM doors")[0]["n"],
            "open_alarms": self.store.read(
                "SELECT COUNT(*) AS n FROM alarms WHERE acknowledged_at IS NULL"
            )[0]["n"],
            "counters": dict(self.counters),
        }

    def api_door_unlock(self, params: dict[str, Any]) -> dict[str, Any]:
        cmd = self.unlock(
            str(params.get("door", "")),
            str(params.get("reason", "")),
            str(params.get("by", "operator")),
            actor_of(params),
            params.get("override") is True,
        )
        return {"command_id": cmd.id, "expires_at": cmd.expires_at, "override": cmd.override}

    def api_alarm_ack(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            alarm_id = int(params["id"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("give the alarm id to acknowledge") from None
        by, note = str(params.get("by", "")), str(params.get("note", ""))
        return asdict(self.store.acknowledge_alarm(alarm_id, by, note, actor_of(params)))

    def api_lockdown(self, params: dict[str, Any]) -> dict[str, Any]:
        on = params.get("on")
        if not isinstance(on, bool):
            raise InvalidInput("lockdown needs on: true or false")
        self.store.set_lockdown(on, str(params.get("by", "operator")), actor_of(params))
        self.publish_lockdown()
        return {"lockdown": on}
