"""The tracking repositories (the unit of work names them: infrastructure/unit_of_work.py)."""
from services.tracking.infrastructure.repositories.clicks import SqlClickBatches, SqlClicks
from services.tracking.infrastructure.repositories.conversions import SqlConversions
from services.tracking.infrastructure.repositories.references import SqlReferences
from services.tracking.infrastructure.repositories.stats import SqlStats

__all__ = ["SqlClickBatches", "SqlClicks", "SqlConversions", "SqlReferences", "SqlStats"]
