"""The tracking repositories, by the name the unit of work exposes them under."""
from services.tracking.infrastructure.repositories.clicks import SqlClickBatches, SqlClicks
from services.tracking.infrastructure.repositories.conversions import SqlConversions
from services.tracking.infrastructure.repositories.references import SqlReferences
from services.tracking.infrastructure.repositories.stats import SqlStats

REPOSITORIES = {
    "references": SqlReferences,
    "clicks": SqlClicks,
    "click_batches": SqlClickBatches,
    "conversions": SqlConversions,
    "stats": SqlStats,
}

__all__ = ["REPOSITORIES", "SqlClickBatches", "SqlClicks", "SqlConversions", "SqlReferences",
           "SqlStats"]
