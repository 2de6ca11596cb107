"""Settings: defaults, the example file, environment overrides, errors naming the key."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from tracker.settings import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"


def _flatten(obj, prefix=""):
    if dataclasses.is_dataclass(obj):
        out = {}
        for f in dataclasses.fields(obj):
            if f.name == "source":
                continue
            out.update(_flatten(getattr(obj, f.name), f"{prefix}{f.name}."))
        return out
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: list(obj) if isinstance(obj, tuple) else obj}


def test_example_documents_every_key_with_its_default():
    from_file = _flatten(tomllib.loads(EXAMPLE.read_text()))
    defaults = _flatten(Settings())
    assert from_file == defaults


def test_example_loads_to_defaults():
    loaded = load_settings(EXAMPLE, environ={})
    assert dataclasses.replace(loaded, source=None) == Settings()


def test_environment_overrides_file(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[database]\nurl = "sqlite:///a.db"\n[web]\nsecret_key = "file"\n')
    s = load_settings(cfg, environ={"DATABASE_URL": "sqlite:///b.db", "SECRET_KEY": "env"})
    assert s.database.url == "sqlite:///b.db"
    assert s.web.secret_key == "env"


def test_config_env_variable_chooses_file(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[weather]\ngrid_degrees = 0.25\n")
    s = load_settings(environ={"MIGRAINE_WEATHER_CONFIG": str(cfg)})
    assert s.weather.grid_degrees == 0.25
    assert s.source == str(cfg)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[database]\nurll = 'x'\n", "database.urll"),
        ("[nonsense]\na = 1\n", "nonsense"),
        ("[weather.open_meteo]\nbatch_size = 'ten'\n", "weather.open_meteo.batch_size"),
        ("[weather.open_meteo]\nbatch_size = 0\n", "weather.open_meteo.batch_size"),
        ("[weather]\ngrid_degrees = true\n", "weather.grid_degrees"),
        ("[analysis]\ndrop_threshold_hpa = -1\n", "analysis"),
        ("[analysis]\nthreshold = 5\n", "analysis"),
        ("[jobs]\nbackfill_hour = 24\n", "jobs.backfill_hour"),
        ("[web]\nsession_cookie_secure = 'yes'\n", "web.session_cookie_secure"),
    ],
)
def test_bad_values_name_the_key(tmp_path, text, key):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ={})
    assert str(info.value).startswith(key)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[database\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, environ={})
