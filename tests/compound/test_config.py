"""Config: every mistake names the file, the key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from compound.config import ConfigError, load


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text)
    return p


def test_sample_config_loads() -> None:
    cfg = load(Path(__file__).resolve().parents[2] / "data" / "compound.toml")
    assert cfg.site.id == "fenglin" and cfg.broker.protocol == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[broker]\nhots = 'x'\n", "unknown key 'hots'; known keys: embedded, host"),
        ("[brokr]\n", "unknown key 'brokr'"),
        ("[broker]\nport = '1883'\n", "broker.port must be a whole number"),
        ("[broker]\nport = 70000\n", "largest allowed is 65535"),
        ("[broker]\nprotocol = 3\n", "allowed: 4, 5"),
        ("[core]\ncommand_ttl_s = 0.1\n", "smallest allowed is 0.5"),
        ("[core]\ncommand_ttl_s = nan\n", "core.command_ttl_s must be a number, not nan"),
        ("[alerts]\nunknown_face_gap_s = -inf\n", "must be a number, not -inf"),
        ("[broker]\nembedded = 1\n", "must be true or false"),
        ("[site\n", "not valid TOML"),
        ("site = 3\n", "must be a table"),
        # checked at load, not first at use (a traceback, or a zone stored that broke reports)
        ("[site]\nid = 'a/b'\n", "[site] id 'a/b' must be 1-64 letters"),
        ("[site]\ntimezone = 'Mars/Base'\n", "[site] timezone 'Mars/Base' is no IANA time zone"),
    ],
)
def test_bad_config_is_refused_with_a_useful_message(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, text))
    assert message in str(e.value)
    assert "c.toml" in str(e.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "nope.toml")


def test_a_section_may_have_a_key_named_source(tmp_path: Path) -> None:
    """Only the top level's own bookkeeping field is hidden from the file, not same-named keys."""
    cfg = load(write(tmp_path, '[face]\nsource = "replay:/srv/photos"\n'))
    assert cfg.face.source == "replay:/srv/photos"
    with pytest.raises(ConfigError, match="unknown key 'source'"):
        load(write(tmp_path, 'source = "x"\n'))
