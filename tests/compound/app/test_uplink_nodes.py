"""``[uplink] nodes``: the city broker's other nodes become the bus's fallbacks; an entry that
is not host:port is refused with a message that shows the form."""

from __future__ import annotations

from pathlib import Path

import pytest

from compound.app.context import connection_config
from compound.config import ConfigError, load


def uplink(tmp_path: Path, nodes: str) -> object:
    p = tmp_path / "c.toml"
    p.write_text(f'[uplink]\nhost = "10.0.0.1"\nport = 8883\nnodes = {nodes}\n')
    return load(p).uplink


def test_nodes_become_fallbacks(tmp_path: Path) -> None:
    cfg = connection_config(uplink(tmp_path, '["10.0.0.2:8883", "city-3.example:8884"]'), "uplink")
    assert (cfg.host, cfg.port) == ("10.0.0.1", 8883)
    assert cfg.fallbacks == (("10.0.0.2", 8883), ("city-3.example", 8884))


@pytest.mark.parametrize("bad", ['["10.0.0.2"]', '["10.0.0.2:http"]', '[":8883"]', '["h:0"]'])
def test_a_node_that_is_not_host_port_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match="host:port"):
        connection_config(uplink(tmp_path, bad), "uplink")
