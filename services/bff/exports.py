"""CSV exports of lists the API pages through (a brand's or a partner's commissions and
conversions, payouts), for spreadsheets and accounting tools.

Every page of the list is read (``PAGE_SIZE`` at a time) and written as one CSV answer
(RFC 4180, UTF-8, a header row, ``\\r\\n`` line ends), each money column as its decimal
text with its own currency column beside it -- never a float. A list longer than
``MAX_ROWS`` is refused (``export_too_large``) rather than cut short: a truncated ledger
reads as a complete one. Free-text columns that a spreadsheet would read as a formula
(starting ``=``, ``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'``
(CSV injection); amounts, ids and times are never free text.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date

from werkzeug.wrappers import Response

from services.bff.errors import ApiError
from services.bff.jsonio import to_wire

PAGE_SIZE = 100
MAX_ROWS = 10_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV = "text/csv"

# (header, how to read it from an item); money as amount + currency columns
COMMISSION_COLUMNS: tuple[tuple[str, Callable[[dict], object]], ...] = (
    ("commission_id", lambda c: c.get("commission_id")),
    ("status", lambda c: c.get("status")),
    ("model", lambda c: c.get("model")),
    ("partner_id", lambda c: c.get("partner_id")),
    ("campaign_id", lambda c: c.get("campaign_id")),
    ("conversion_id", lambda c: c.get("conversion_id")),
    ("amount", lambda c: _money(c, "amount", "amount")),
    ("currency", lambda c: _money(c, "amount", "currency")),
    ("earned", lambda c: _money(c, "earned", "amount")),
    ("reversed", lambda c: _money(c, "reversed", "amount")),
    ("order_amount", lambda c: _money(c, "order_amount", "amount")),
    ("order_currency", lambda c: _money(c, "order_amount", "currency")),
    ("clicks", lambda c: c.get("clicks")),
    ("click_day", lambda c: c.get("click_day")),
    ("reason", lambda c: text(c.get("reason"))),
    ("hold_until", lambda c: c.get("hold_until")),
    ("payout_id", lambda c: c.get("payout_id")),
    ("occurred_at", lambda c: c.get("occurred_at")),
    ("created_at", lambda c: c.get("created_at")),
    ("updated_at", lambda c: c.get("updated_at")),
    ("kind", lambda c: c.get("kind")),
    ("note", lambda c: text(c.get("note"))),
)
# a brand's: its partners named (services/bff/partner_names.py), last so columns keep
# their places
BRAND_COMMISSION_COLUMNS = COMMISSION_COLUMNS + (
    ("partner_name", lambda c: text(c.get("partner_name"))),
)


_PARTNER_CONVERSION_COLUMNS: tuple[tuple[str, Callable[[dict], object]], ...] = (
    ("conversion_id", lambda c: c.get("conversion_id")),
    ("order_id", lambda c: text(c.get("order_id"))),
    ("status", lambda c: c.get("status")),
    ("reason", lambda c: text(c.get("reason"))),
    ("partner_id", lambda c: c.get("partner_id")),
    ("campaign_id", lambda c: c.get("campaign_id")),
    ("referral_code", lambda c: c.get("referral_code")),
    ("click_id", lambda c: c.get("click_id")),
    ("attribution", lambda c: c.get("attribution")),
    ("amount", lambda c: _money(c, "amount", "amount")),
    ("currency", lambda c: _money(c, "amount", "currency")),
    ("reversed", lambda c: _money(c, "reversed", "amount")),
    ("fully_reversed", lambda c: c.get("fully_reversed")),
    ("occurred_at", lambda c: c.get("occurred_at")),
    ("recorded_at", lambda c: c.get("recorded_at")),
)
PARTNER_CONVERSION_COLUMNS = _PARTNER_CONVERSION_COLUMNS  # no customer data: the brand's
BRAND_CONVERSION_COLUMNS = _PARTNER_CONVERSION_COLUMNS + (
    ("customer_id", lambda c: text(c.get("customer_id"))),
    ("customer_ip", lambda c: c.get("customer_ip")),
    ("partner_name", lambda c: text(c.get("partner_name"))),
)


PAYOUT_COLUMNS: tuple[tuple[str, Callable[[dict], object]], ...] = (
    ("payout_id", lambda p: p.get("payout_id")),
    ("partner_id", lambda p: p.get("partner_id")),
    ("cycle", lambda p: p.get("cycle")),
    ("status", lambda p: p.get("status")),
    ("amount", lambda p: _money(p, "amount", "amount")),
    ("currency", lambda p: p.get("currency")),
    ("commissions", lambda p: len(p.get("commission_ids") or ())),
    ("clawbacks", lambda p: len(p.get("adjustment_ids") or ())),
    ("psp_reference", lambda p: text(p.get("psp_reference"))),
    ("reason", lambda p: text(p.get("reason"))),
    ("created_at", lambda p: p.get("created_at")),
    ("updated_at", lambda p: p.get("updated_at")),
)


def export(list_page: Callable[[dict], dict], filters: dict, what: str, columns, name: str,
           today: date) -> Response:
    """Every item of the list ``list_page(filters + page)`` answers page by page, as one
    CSV attachment ``<name>-<today>.csv``. ``filters`` are the validated query (datetimes
    and all): sent as the RPC's plain JSON, made once."""
    wire = to_wire(filters)

    def fetch(page: int, page_size: int) -> dict:
        return list_page({**wire, "page": page, "page_size": page_size})

    id_key = columns[0][0]  # every export's first column: the item's id
    return csv_response(csv_text(every_item(fetch, what, id_key), columns), name, today)


def every_item(fetch: Callable[[int, int], dict], what: str,
               id_key: str) -> Iterator[dict]:
    """The items of every page (``fetch(page, page_size)`` answers a page), each once:
    lists are newest first, so an item made while the export pages through pushes the
    others one place on, and the next page repeats one already written -- it is left
    out (told apart by ``id_key``). Refused with
    ``export_too_large`` before anything is answered when more than ``MAX_ROWS`` match."""
    page = 1
    answer = fetch(page, PAGE_SIZE)
    if answer["total"] > MAX_ROWS:
        too_large(answer["total"], what)
    seen, written = 0, set()
    while answer["items"]:
        for item in answer["items"]:
            key = item.get(id_key)
            if key not in written:
                written.add(key)
                yield item
        seen += len(answer["items"])
        if seen >= answer["total"]:
            return
        page += 1
        answer = fetch(page, PAGE_SIZE)


def too_large(total: int, what: str):
    """Refuse an export of more than ``MAX_ROWS`` (``export_too_large``), whole."""
    raise ApiError(422, "export_too_large",
                   f"{total:,} {what} match, more than the {MAX_ROWS:,} an export holds: "
                   "narrow it with the list's filters.")


def csv_text(items: Iterable[dict], columns) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header for header, _ in columns)
    for item in items:
        writer.writerow(_cell(read(item)) for _, read in columns)
    return out.getvalue()


def csv_response(text: str, name: str, today: date) -> Response:
    return Response(text, mimetype=CSV, headers={
        "Content-Disposition": f'attachment; filename="{name}-{today.isoformat()}.csv"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def _money(item: dict, key: str, part: str):
    money = item.get(key)
    return money.get(part) if money else None


def text(value):
    """Free text a spreadsheet would take for a formula, prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value) -> str:
    return "" if value is None else str(value)
