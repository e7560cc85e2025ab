"""Read config.yaml exactly as ``nameko run --config`` does (``${VAR:default}`` included)."""
from __future__ import annotations

import os
from typing import Any

import yaml

DEFAULT_CONFIG_PATH = os.environ.get("ALPES_CONFIG", "config.yaml")


def load_config(path: str | None = None) -> dict[str, Any]:
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with open(path or DEFAULT_CONFIG_PATH) as handle:
        return yaml.safe_load(handle)


def db_uri(config: dict[str, Any], service_name: str) -> str:
    """The service's database URI: ``DB_URIS["<service>:Base"]`` (nameko-sqlalchemy's key,
    ``<service name>:<declarative base name>``; every service's base is ``Base``)."""
    key = f"{service_name}:Base"
    try:
        return config["DB_URIS"][key]
    except KeyError:
        raise KeyError(f"config.yaml has no DB_URIS entry {key!r}") from None


def flag(value: Any) -> bool:
    """A yes/no setting as YAML or ``${VAR:...}`` gives it: a bool, or a string that is
    true unless it says 0, false, no, off or nothing."""
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def section(config: dict[str, Any], name: str, defaults: dict[str, Any]) -> dict[str, Any]:
    """A config section with defaults filled in for missing keys."""
    return {**defaults, **(config.get(name) or {})}


def settings_from(section_name: str, settings_class: Any):
    """``config -> settings_class.from_config(config[section_name])``: a service's frozen
    settings, read once (``MessageBusProvider(settings=...)``)."""
    def read(config: dict[str, Any]) -> Any:
        return settings_class.from_config(config.get(section_name))

    return read
