"""The read model's use cases: keep what an event says (one transaction each), and
answer a dashboard (one read transaction: ``views``)."""
from __future__ import annotations

from common.seedwork.application.bus import HandlerRegistry
from services.bff.application import commands, projection, queries, views
from services.bff.application.ports import ReadModelUnitOfWork

HANDLERS = HandlerRegistry()


@HANDLERS.command(commands.KeepProfile)
def keep_profile(cmd: commands.KeepProfile, uow: ReadModelUnitOfWork) -> None:
    with uow:
        uow.profiles.keep(cmd.profile, cmd.revision)
        uow.commit()


@HANDLERS.command(commands.KeepBrand)
def keep_brand(cmd: commands.KeepBrand, uow: ReadModelUnitOfWork) -> None:
    with uow:
        uow.brands.keep(cmd.brand_id, cmd.brand)
        uow.commit()


@HANDLERS.command(commands.KeepCampaign)
def keep_campaign(cmd: commands.KeepCampaign, uow: ReadModelUnitOfWork) -> None:
    with uow:
        uow.campaigns.keep(cmd.campaign_id, cmd.brand_id, cmd.campaign, cmd.revision,
                           cmd.occurred_at, cmd.created)
        uow.commit()


@HANDLERS.command(commands.KeepEnrollment)
def keep_enrollment(cmd: commands.KeepEnrollment, uow: ReadModelUnitOfWork) -> None:
    with uow:
        uow.enrollments.keep(cmd.enrollment_id, cmd.partner_id, cmd.enrolled_at,
                             cmd.enrollment, cmd.revision)
        uow.enrollment_states.keep(cmd.enrollment_id, cmd.enrollment["brand_id"],
                                   cmd.enrollment["campaign_id"], cmd.enrollment["status"],
                                   cmd.revision)
        uow.commit()


@HANDLERS.command(commands.KeepEnrollmentState)
def keep_enrollment_state(cmd: commands.KeepEnrollmentState, uow: ReadModelUnitOfWork) -> None:
    with uow:
        uow.enrollment_states.keep(cmd.enrollment_id, cmd.brand_id, cmd.campaign_id,
                                   cmd.status, cmd.revision)
        uow.commit()


@HANDLERS.command(commands.KeepStats)
def keep_stats(cmd: commands.KeepStats, uow: ReadModelUnitOfWork) -> int:
    """A batch of daily stats rows: the newer ones replace what is held, and their
    campaigns' days move by the differences -- in one transaction."""
    with uow:
        held = uow.stats.held(cmd.rows)
        changes = projection.project_stats(held, cmd.rows)
        uow.stats.store(changes.rows)
        uow.stats.add_to_campaigns(changes.campaigns)
        uow.commit()
    return len(changes.rows)


@HANDLERS.command(commands.KeepBalances)
def keep_balances(cmd: commands.KeepBalances, uow: ReadModelUnitOfWork) -> int:
    """A batch of budgets and ledgers: the newer ones replace what is held, and each
    partner's day of earnings moves by what its ledger grew -- in one transaction."""
    with uow:
        uow.balances.keep_budgets(cmd.budgets)
        held = uow.balances.held(cmd.ledgers)
        changes = projection.project_ledgers(held, cmd.ledgers)
        uow.balances.store(changes.rows)
        uow.balances.add_earnings(changes.earnings)
        uow.commit()
    return len(changes.rows)


@HANDLERS.query(queries.PartnerDashboard)
def partner_dashboard(query: queries.PartnerDashboard, uow: ReadModelUnitOfWork) -> dict | None:
    with uow.read() as conn:
        return views.partner_dashboard(conn, query)


@HANDLERS.query(queries.BrandDashboard)
def brand_dashboard(query: queries.BrandDashboard, uow: ReadModelUnitOfWork) -> dict | None:
    with uow.read() as conn:
        return views.brand_dashboard(conn, query)


@HANDLERS.query(queries.PartnerPerformance)
def partner_performance(query: queries.PartnerPerformance, uow: ReadModelUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.partner_performance(conn, query)


@HANDLERS.query(queries.PartnerNames)
def partner_names(query: queries.PartnerNames, uow: ReadModelUnitOfWork) -> dict[str, str]:
    if not query.partner_ids:
        return {}
    with uow.read() as conn:
        return views.partner_names(conn, query.partner_ids)
