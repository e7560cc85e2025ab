"""Keeps the partner ledgers in step with the entries a use case changes.

A use case ``track``s every entry it may change (``track_new`` for one it creates),
changes them through the domain, then ``post``s: each entry's amount moves from the
bucket it was in to the bucket it is in now, in the same transaction. Ledgers are
locked before the entries they sum (``lock``) so concurrent use cases never deadlock.
"""
from __future__ import annotations

from datetime import datetime

from services.commissions.application.ports import LedgerRepository
from services.commissions.domain.ledger import LedgerEntry, PartnerLedger, Position


class Postings:
    def __init__(self, ledgers: LedgerRepository, now: datetime):
        self._ledgers = ledgers
        self._now = now
        self._locked: dict[tuple[str, str], PartnerLedger] = {}
        self._before: dict[int, tuple[LedgerEntry, Position]] = {}

    def lock(self, partner_id: str, currency: str) -> PartnerLedger:
        key = (partner_id, currency)
        if key not in self._locked:
            self._locked[key] = self._ledgers.lock(partner_id, currency, self._now)
        return self._locked[key]

    def track(self, *entries: LedgerEntry) -> None:
        for entry in entries:
            self._before.setdefault(id(entry), (entry, entry.position()))

    def track_new(self, *entries: LedgerEntry) -> None:
        for entry in entries:
            self._before[id(entry)] = (entry, Position.nowhere(entry.currency))

    def post(self) -> None:
        touched: dict[str, PartnerLedger] = {}
        for entry, before in self._before.values():
            after = entry.position()
            if after != before:
                ledger = self.lock(entry.partner_id, entry.currency)
                ledger.move(before, after, self._now)
                touched[ledger.id] = ledger
        for ledger in touched.values():
            self._ledgers.save(ledger)
        self._before = {id(entry): (entry, entry.position()) for entry, _ in self._before.values()}
