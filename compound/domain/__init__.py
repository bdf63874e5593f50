"""Pure decisions and values: the model and its validation, the access decision, attempt limits,
the clock, and face matching (``face/``). Nothing here does I/O; time comes in as a value or an
injected clock, so every rule is tested with plain values (``tests/test_architecture.py``)."""
