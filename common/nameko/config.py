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
    try:
        return config["DB_URIS"][service_name]
    except KeyError:
        raise KeyError(f"config.yaml has no DB_URIS entry for {service_name!r}") from None


def section(config: dict[str, Any], name: str, defaults: dict[str, Any]) -> dict[str, Any]:
    """A config section with defaults filled in for missing keys."""
    return {**defaults, **(config.get(name) or {})}
