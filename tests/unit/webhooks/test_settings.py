"""config.yaml WEBHOOKS, read once: defaults, environment strings, unknown keys."""
from datetime import timedelta

import pytest

from services.webhooks.application.settings import WebhooksSettings


def test_defaults_are_the_production_ones_https_and_public_only():
    settings = WebhooksSettings.from_config(None)
    assert not settings.destinations.allow_http and not settings.destinations.allow_private
    assert settings.schedule.delays == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert settings.max_in_flight_per_endpoint == 4 and settings.timeout == 10


def test_values_from_the_environment_arrive_as_text():
    settings = WebhooksSettings.from_config({
        "allow_http": "true", "allow_private_destinations": "yes",
        "retry_schedule_seconds": "0, 0.5,2", "timeout_seconds": "1", "lease_seconds": "1"})
    assert settings.destinations.allow_http and settings.destinations.allow_private
    assert settings.schedule.delays == (0, 0.5, 2)
    assert settings.lease == timedelta(seconds=7)  # at least 2 x the timeout + 5


def test_the_subscriptions_snapshot_is_trusted_a_second_unless_told_otherwise():
    assert WebhooksSettings.from_config(None).subscriptions_max_age == 1.0
    assert WebhooksSettings.from_config(
        {"subscriptions_max_age_seconds": "0.25"}).subscriptions_max_age == 0.25
    assert WebhooksSettings.from_config(
        {"subscriptions_max_age_seconds": "-1"}).subscriptions_max_age == 0


def test_an_unknown_key_stops_the_service():
    with pytest.raises(ValueError, match="allow_htp"):
        WebhooksSettings.from_config({"allow_htp": True})
