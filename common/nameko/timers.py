"""A Nameko timer whose interval comes from config.yaml.

Nameko's ``@timer(interval=5)`` fixes the interval when the class is defined; a
service's timings belong in config.yaml (``${VAR:default}``) so operators and tests can
change them. The interval is read in ``setup()``, as extensions should::

    @timer("COMMISSIONS", "approval_interval_seconds", default=5)
    def approve_due_commissions(self): ...
"""
from __future__ import annotations

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    def __init__(self, section: str, key: str, default: float, eager: bool = False, **kwargs):
        self.section = section
        self.key = key
        self.default = default
        super().__init__(interval=default, eager=eager, **kwargs)

    def setup(self):
        super().setup()
        settings = self.container.config.get(self.section) or {}
        self.interval = float(settings.get(self.key, self.default))


timer = ConfiguredTimer.decorator
