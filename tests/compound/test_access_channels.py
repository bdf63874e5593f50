"""The three request channels of a door: which topic is which sender, and what each may assert."""

from __future__ import annotations

from compound.protocol.access_channels import FACE, PANEL, READER, Channel, channel_of, from_key
from compound.protocol.topics import Topics

T = Topics("s1")


def levels(topic: str) -> list[str]:
    return T.split(topic)


def test_each_request_topic_names_its_sender() -> None:
    assert channel_of(levels(T.access_request("b1-e1"))) == Channel("b1-e1", READER)
    assert channel_of(levels(T.panel_access_request("b1-e1"))) == Channel("b1-e1", PANEL)
    assert channel_of(levels(T.face_access_request("b1-e1"))) == Channel("b1-e1", FACE)


def test_other_topics_are_no_channel() -> None:
    for topic in (
        T.access_result("b1-e1"),
        T.all("access/b1-e1/request/someone"),
        T.all("access/b1-e1/request/panel/x"),
        T.door_event("b1-e1"),
        T.all("access"),
    ):
        assert channel_of(levels(topic)) is None, topic


def test_each_sender_asserts_only_what_it_can_know() -> None:
    reader, panel, face = (Channel("d", s) for s in (READER, PANEL, FACE))
    assert reader.allows("card") and reader.allows("pin")
    assert not reader.allows("face") and not reader.allows("pass")
    assert panel.allows("pin") and panel.allows("pass")
    assert not panel.allows("card") and not panel.allows("face")
    assert face.allows("face") and not face.allows("card") and not face.allows("pin")


def test_the_intake_key_names_door_and_sender_and_reads_back() -> None:
    for sender in (READER, PANEL, FACE):
        ch = Channel("b12-e3", sender)
        assert from_key(ch.key) == ch
    assert Channel("b12-e3", READER).key == "b12-e3"
    assert len({Channel("d", s).key for s in (READER, PANEL, FACE)}) == 3
