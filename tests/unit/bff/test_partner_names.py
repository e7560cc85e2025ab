"""Partners' names beside their ids: one read model query per page, a courtesy that
never fails the page."""
import logging
from types import SimpleNamespace

from common.seedwork.errors import ServiceUnavailable
from services.bff import partner_names
from services.bff.application import queries


class Bus:
    def __init__(self, names=None, down=False):
        self.names, self.down, self.asked = names or {}, down, []

    def query(self, query):
        self.asked.append(query)
        if self.down:
            raise ServiceUnavailable("The service's database is unavailable or busy; retry.")
        return {pid: self.names[pid] for pid in query.partner_ids if pid in self.names}


def call(bus) -> SimpleNamespace:
    return SimpleNamespace(bus=bus)


PAGE = {"items": [{"partner_id": "p2"}, {"partner_id": "p1"}, {"partner_id": "p2"},
                  {"partner_id": None}], "total": 4, "page": 1}


def test_a_page_is_named_with_one_query_for_its_distinct_partners():
    bus = Bus({"p1": "Ana", "p2": "Bea"})
    named = partner_names.named_page(call(bus), PAGE)
    assert [item["partner_name"] for item in named["items"]] == ["Bea", "Ana", "Bea", None]
    assert bus.asked == [queries.PartnerNames(partner_ids=("p1", "p2"))]
    assert named["total"] == 4


def test_a_page_without_partners_asks_nothing():
    bus = Bus()
    assert partner_names.named(call(bus), [{"partner_id": None}]) == [
        {"partner_id": None, "partner_name": None}]
    assert bus.asked == []


def test_the_read_model_down_leaves_names_out_not_the_page(caplog):
    with caplog.at_level(logging.WARNING):
        named = partner_names.named_page(call(Bus(down=True)), PAGE)
    assert [item["partner_name"] for item in named["items"]] == [None] * 4
    assert "partner names left out" in caplog.text


def test_exports_name_every_page_they_fetch():
    pages = partner_names.naming(call(Bus({"p1": "Ana"})), lambda filters: {
        "items": [{"partner_id": "p1", "page": filters["page"]}], "total": 1})
    assert pages({"page": 2})["items"] == [{"partner_id": "p1", "page": 2,
                                             "partner_name": "Ana"}]
