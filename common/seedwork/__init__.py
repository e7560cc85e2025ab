"""Framework-free building blocks shared by every AlpesPartners service.

Nothing below this package imports Nameko; only ``infrastructure`` imports SQLAlchemy.
"""
