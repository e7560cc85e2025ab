"""Find the platform's services: every ``services/<name>/service.py`` with a Nameko class."""
from __future__ import annotations

import importlib
import inspect
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def service_modules() -> list[str]:
    return sorted(
        f"services.{path.parent.name}.service"
        for path in (ROOT / "services").glob("*/service.py")
    )


def service_names() -> list[str]:
    return [module.split(".")[1] for module in service_modules()]


def service_class(module_name: str) -> type:
    module = importlib.import_module(module_name)
    candidates = [
        obj for _, obj in inspect.getmembers(module, inspect.isclass)
        if obj.__module__ == module.__name__ and isinstance(getattr(obj, "name", None), str)
    ]
    if len(candidates) != 1:
        raise LookupError(f"{module_name} must define exactly one Nameko service class")
    return candidates[0]


def service_classes() -> list[type]:
    return [service_class(module) for module in service_modules()]
