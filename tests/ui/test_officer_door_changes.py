"""The wall's record of which doors changed, by revision (``DoorChanges``)."""

from __future__ import annotations

from ui.viewmodels.officer_doors import DoorChanges


def test_the_doors_changed_since_a_revision() -> None:
    changes = DoorChanges()
    assert changes.since(0) == set()
    assert changes.since(-1) is None, "a screen that never looked reads every door"
    first = changes.touch("b1-e1")
    changes.touch("b2-e1")
    changes.touch("b1-e1")
    assert changes.rev == 3
    assert changes.since(first) == {"b2-e1", "b1-e1"}
    assert changes.since(0) == {"b1-e1", "b2-e1"}
    assert changes.since(changes.rev) == set()


def test_a_revision_older_than_what_is_kept_is_not_known() -> None:
    changes = DoorChanges()
    for i in range(DoorChanges.KEPT + 2):
        changes.touch(f"b{i}-e1")
    assert changes.since(0) is None
    assert changes.since(1) is None
    assert changes.since(2) == {f"b{i}-e1" for i in range(2, DoorChanges.KEPT + 2)}
