"""The shared repository's statements are built once per class, its locking look-up too."""
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.dialects import postgresql

from common.seedwork.infrastructure.repository import SqlAlchemyRepository

THINGS = Table("things", MetaData(), Column("id", String(36), primary_key=True),
               Column("version", Integer, nullable=False))


class Things(SqlAlchemyRepository):
    table = THINGS


def sql(statement) -> str:
    return str(statement.compile(dialect=postgresql.dialect()))


def test_the_look_up_by_id_is_built_once_with_and_without_its_lock():
    plain, locking = Things._get_statement(), Things._get_statement(locking=True)
    assert plain is Things._get_statement() and locking is Things._get_statement(True)
    assert "FOR UPDATE" in sql(locking) and "FOR UPDATE" not in sql(plain)
    assert Things._insert_statement() is Things._insert_statement()
    assert Things._update_statement() is Things._update_statement()
