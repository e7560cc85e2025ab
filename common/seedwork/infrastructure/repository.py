"""Repository base for SQLAlchemy Core data mappers.

A repository turns an aggregate into rows and back (``_to_row`` / ``_from_row``); the
domain classes know nothing of the database. Every aggregate row has a ``version``
column: ``save`` only updates the row if nobody changed it since it was loaded
(optimistic concurrency), else raises :class:`ConcurrencyConflict`.
"""
from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.domain.entity import AggregateRoot
from common.seedwork.errors import ConcurrencyConflict

A = TypeVar("A", bound=AggregateRoot)


class SqlAlchemyRepository(AbstractRepository, Generic[A]):
    table: Table

    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    # to implement ------------------------------------------------------------------------
    def _to_row(self, aggregate: A) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _from_row(self, row) -> A:  # pragma: no cover - abstract
        raise NotImplementedError

    # generic operations --------------------------------------------------------------------
    def add(self, aggregate: A) -> None:
        row = self._to_row(aggregate)
        row["version"] = 1
        self.connection.execute(self._insert_statement(), row)
        aggregate.version = 1
        self._track(aggregate)

    def save(self, aggregate: A) -> None:
        row = self._to_row(aggregate)
        row.pop("id", None)
        row["version"] = aggregate.version + 1
        params = {**row, "_id": aggregate.id, "_expected_version": aggregate.version}
        result = self.connection.execute(self._update_statement(), params)
        if result.rowcount != 1:
            raise ConcurrencyConflict(
                f"{type(aggregate).__name__} {aggregate.id} was changed concurrently; retry.")
        aggregate.version += 1
        self._track(aggregate)

    @classmethod
    def _insert_statement(cls):
        """INSERT INTO the table, built once (its cache key is not computed per row)."""
        statement = cls.__dict__.get("_cached_insert")
        if statement is None:
            statement = insert(cls.table)
            cls._cached_insert = statement
        return statement

    @classmethod
    def _update_statement(cls):
        """UPDATE ... WHERE id = :_id AND version = :_expected_version, built once."""
        statement = cls.__dict__.get("_cached_update")
        if statement is None:
            table = cls.table
            statement = update(table).where(
                table.c.id == bindparam("_id"),
                table.c.version == bindparam("_expected_version"))
            cls._cached_update = statement
        return statement

    def get(self, aggregate_id: str, *, for_update: bool = False) -> A | None:
        locking = for_update and self.connection.dialect.name == "postgresql"
        return self._one(self._get_statement(locking), {"_id": str(aggregate_id)})

    @classmethod
    def _get_statement(cls, locking: bool = False):
        """SELECT ... WHERE id = :_id (``locking``: FOR UPDATE), each built once (a
        statement built per call costs more CPU than SQLite takes to run it)."""
        name = "_cached_get_locking" if locking else "_cached_get"
        statement = cls.__dict__.get(name)
        if statement is None:
            statement = select(cls.table).where(cls.table.c.id == bindparam("_id"))
            if locking:
                statement = statement.with_for_update()
            setattr(cls, name, statement)
        return statement

    def _one(self, query, params: dict[str, Any] | None = None, *,
             for_update: bool = False) -> A | None:
        if for_update and self.connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.connection.execute(query, params or {}).first()
        if row is None:
            return None
        aggregate = self._from_row(row)
        aggregate.version = row.version
        return self._track(aggregate)

    def _many(self, query) -> list[A]:
        aggregates = []
        for row in self.connection.execute(query).all():
            aggregate = self._from_row(row)
            aggregate.version = row.version
            aggregates.append(self._track(aggregate))
        return aggregates
