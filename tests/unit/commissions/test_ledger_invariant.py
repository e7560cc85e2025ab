"""Property: whatever happens to a partner's commissions -- earned, approved, declined,
refunded in parts, held, paid, released, clawed back -- each ledger equals the sum of its
entries, exactly (Decimal, whole cents), and no cent is paid twice."""
import uuid
from datetime import timedelta
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from common.seedwork.application.bus import MessageBus
from common.seedwork.errors import BusinessRuleViolation
from services.commissions.application import commands
from services.commissions.application.handlers import HANDLERS
from services.commissions.domain.ledger import Bucket, PartnerLedger
from tests.unit.commissions.builders import (
    BRAND,
    CAMPAIGN,
    NOW,
    commission_id,
    conversion,
    cps,
    refund,
    usd,
)
from tests.unit.commissions.fakes import fake_uow

PARTNERS = [str(uuid.uuid4()) for _ in range(2)]
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
rates = st.sampled_from(["0.05", "0.10", "0.125", "0.333", "0.07"])


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.now = NOW
        self.uow = fake_uow()
        self.bus = MessageBus(self.uow, HANDLERS, {"clock": lambda: self.now})
        self.bus.handle(commands.FollowCampaignBudget(
            campaign_id=CAMPAIGN, brand_id=BRAND, total=usd("100000000"),
            smallest=usd("0.01"), revision=1))
        self.conversions = []   # (command, refunded so far)
        self.holds = []
        self.paid_out = {p: Decimal(0) for p in PARTNERS}  # what confirmed payouts transferred

    @rule(partner=st.sampled_from(PARTNERS), order=amounts, rate=rates)
    def earn(self, partner, order, rate):
        cmd = conversion(str(order), terms=cps(rate), partner=partner)
        self.bus.handle(cmd)
        self.conversions.append([cmd, Decimal(0)])

    @rule()
    def approve_due(self):
        self.now += timedelta(seconds=1)
        self.bus.handle(commands.ApproveDueCommissions())

    @precondition(lambda self: self.conversions)
    @rule(data=st.data())
    def decline(self, data):
        cmd, _ = data.draw(st.sampled_from(self.conversions))
        try:
            self.bus.handle(commands.DeclineCommission(
                commission_id=commission_id(cmd), acting_brand_id=BRAND, reason="declined"))
        except BusinessRuleViolation:
            pass  # in a payout, paid or reversed: the brand may not decline any more

    @precondition(lambda self: self.conversions)
    @rule(data=st.data(), share=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1),
                                            places=2))
    def refund(self, data, share):
        entry = data.draw(st.sampled_from(self.conversions))
        cmd, so_far = entry
        order = cmd.source.order_amount.amount
        total = min(order, so_far + (order * share).quantize(Decimal("0.01")))
        entry[1] = total
        self.bus.handle(refund(cmd, str(total - so_far), total=str(total),
                               fully=total == order))

    @rule(partner=st.sampled_from(PARTNERS))
    def hold(self, partner):
        payout_id = str(uuid.uuid4())
        held = self.bus.handle(commands.HoldForPayout(payout_id=payout_id, partner_id=partner,
                                                      currency="USD"))
        if held["status"] == "HELD":
            self.holds.append((payout_id, partner, Decimal(held["amount"]["amount"])))

    @precondition(lambda self: self.holds)
    @rule(confirm=st.booleans())
    def settle(self, confirm):
        payout_id, partner, amount = self.holds.pop(0)
        if confirm:
            self.bus.handle(commands.ConfirmPayout(payout_id=payout_id))
            self.bus.handle(commands.ConfirmPayout(payout_id=payout_id))  # retried step
            self.paid_out[partner] += amount
        else:
            self.bus.handle(commands.ReleasePayout(payout_id=payout_id))

    @invariant()
    def ledgers_equal_the_sum_of_their_entries(self):
        for ledger in self.uow.ledgers.items.values():
            entries = [e for repo in (self.uow.commissions, self.uow.adjustments)
                       for e in repo.items.values()
                       if (e.partner_id, e.currency) == (ledger.partner_id, ledger.currency)]
            recomputed = PartnerLedger.of(ledger.partner_id, ledger.currency, entries, self.now)
            assert ledger.same_balances(recomputed), (ledger.balances, recomputed.balances)
            for value in ledger.balances.values():
                assert isinstance(value, Decimal) and value == value.quantize(Decimal("0.01"))

    @invariant()
    def the_budget_holds_exactly_what_the_commissions_still_owe(self):
        budget = self.uow.budgets.items[CAMPAIGN]
        assert budget.reserved == self.uow.budgets.owed_so_far(CAMPAIGN, "USD")

    @invariant()
    def paid_is_exactly_what_payouts_transferred(self):
        for ledger in self.uow.ledgers.items.values():
            assert ledger.balance(Bucket.PAID) == usd(self.paid_out[ledger.partner_id])


LedgerMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30,
                                           deadline=None)
TestLedgerInvariant = LedgerMachine.TestCase
