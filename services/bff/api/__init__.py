"""The API's resources, one module each. Importing this package declares every route
(``services.bff.routing.ROUTES``)."""
from services.bff.api import (  # noqa: F401  (route declarations)
    admin,
    auth,
    campaigns,
    commissions,
    dashboards,
    identity,
    partners,
    payouts,
    reports,
    system,
    tracking,
    webhooks,
)
from services.bff.routing import ROUTES

__all__ = ["ROUTES"]
