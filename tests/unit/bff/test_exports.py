"""CSV exports: every page read, money as decimal text with its currency, formulas in free
text neutralised, and a list longer than an export holds refused before anything is read
past its first page."""
import csv
import io

import pytest

from services.bff import exports
from services.bff.errors import ApiError


def commission(n: int, **changes) -> dict:
    return {"commission_id": f"c{n}", "status": "APPROVED", "model": "CPS",
            "partner_id": "p1", "campaign_id": "k1", "conversion_id": f"v{n}",
            "amount": {"amount": "-1.50", "currency": "EUR"},
            "earned": {"amount": "12.345", "currency": "EUR"}, "reversed": None,
            "order_amount": {"amount": "123.45", "currency": "EUR"}, "clicks": None,
            "click_day": None, "reason": None, "hold_until": None, "payout_id": None,
            "occurred_at": "2026-12-01T10:00:00Z", "created_at": "2026-12-01T10:00:01Z",
            "updated_at": "2026-12-01T10:00:01Z", **changes}


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_page_is_read_and_money_keeps_its_decimal_text_and_currency():
    items = [commission(n) for n in range(250)]
    asked = []

    def fetch(page, page_size):
        asked.append(page)
        return {"items": items[(page - 1) * page_size:page * page_size], "total": len(items)}

    text = exports.csv_text(exports.every_item(fetch, "commissions", "commission_id"),
                            exports.COMMISSION_COLUMNS)
    read = rows(text)
    assert asked == [1, 2, 3] and len(read) == 250
    assert text.startswith("commission_id,status,model,") and "\r\n" in text
    first = read[0]
    assert (first["amount"], first["currency"], first["earned"]) == ("-1.50", "EUR", "12.345")
    assert (first["order_amount"], first["order_currency"]) == ("123.45", "EUR")
    assert first["reversed"] == "" and first["payout_id"] == ""


def test_free_text_read_as_a_formula_is_neutralised():
    read = rows(exports.csv_text([commission(1, reason='=HYPERLINK("http://x","y")'),
                                  commission(2, reason="-1 refund, ok")],
                                 exports.COMMISSION_COLUMNS))
    assert [r["reason"] for r in read] == ["'=HYPERLINK(\"http://x\",\"y\")", "'-1 refund, ok"]
    assert read[0]["amount"] == "-1.50"  # amounts are not free text


def test_a_list_longer_than_an_export_holds_is_refused_after_one_page():
    asked = []

    def fetch(page, page_size):
        asked.append(page)
        return {"items": [commission(1)] * page_size, "total": exports.MAX_ROWS + 1}

    with pytest.raises(ApiError) as refused:
        list(exports.every_item(fetch, "commissions", "commission_id"))
    assert refused.value.status == 422 and refused.value.code == "export_too_large"
    assert asked == [1]


def test_a_partners_conversions_carry_no_customer_data_and_order_ids_are_free_text():
    conversion = {"conversion_id": "v1", "order_id": "=cmd|' /C calc'!A0", "status": "ATTRIBUTED",
                  "amount": {"amount": "200.00", "currency": "USD"}, "customer_id": "cust-9",
                  "customer_ip": "198.51.100.9", "fully_reversed": False}
    partner = rows(exports.csv_text([conversion], exports.PARTNER_CONVERSION_COLUMNS))
    brand = rows(exports.csv_text([conversion], exports.BRAND_CONVERSION_COLUMNS))
    assert "customer_id" not in partner[0] and "customer_ip" not in partner[0]
    assert (brand[0]["customer_id"], brand[0]["customer_ip"]) == ("cust-9", "198.51.100.9")
    assert partner[0]["order_id"] == "'=cmd|' /C calc'!A0"
    assert partner[0]["fully_reversed"] == "False"


def test_an_item_pushed_onto_the_next_page_by_a_newer_one_is_written_once():
    newest_first = [commission(n) for n in range(150, 0, -1)]

    def fetch(page, page_size):  # a commission made between the two pages
        items = newest_first if page == 1 else [commission(151), *newest_first]
        return {"items": items[(page - 1) * page_size:page * page_size], "total": len(items)}

    ids = [c["commission_id"] for c in
           exports.every_item(fetch, "commissions", "commission_id")]
    assert len(ids) == len(set(ids)) == 150  # c51 came again on page 2: left out
