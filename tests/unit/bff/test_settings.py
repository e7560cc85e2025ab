"""config.yaml's BFF section: defaults, overrides, and typos refused at start-up."""
import pytest

from common.nameko.config import load_config
from services.bff.ratelimit import Limit
from services.bff.settings import Settings, from_config
from tests.unit.bff.harness import ROUTES


def test_defaults_without_a_section():
    assert from_config({}) == Settings()


def test_overrides_and_rate_limits_merge_with_defaults():
    loaded = from_config({"BFF": {"token_ttl_seconds": "120", "trust_forwarded_for": "true",
                                  "rpc_timeout_seconds": "",
                                  "rate_limits": {"signup": {"requests": 2,
                                                             "per_seconds": 10}}}})
    assert loaded.token_ttl_seconds == 120 and loaded.trust_forwarded_for is True
    assert loaded.rpc_timeout_seconds is None
    assert loaded.limit("signup") == Limit(2, 10.0)
    assert loaded.limit("token") == Settings().limit("token")


def test_an_unknown_setting_is_refused():
    with pytest.raises(ValueError, match="tokn_ttl"):
        from_config({"BFF": {"tokn_ttl": 5}})


def test_the_repository_config_loads_and_names_every_policy_routes_use():
    loaded = from_config(load_config("config.yaml"))
    for declared in ROUTES:
        assert loaded.limit(declared.rate_policy)


def test_the_rate_limit_storage_is_memory_or_a_redis_url():
    assert Settings().rate_limit_storage == "memory"
    assert from_config({"BFF": {"rate_limit_storage": ""}}).rate_limit_storage == "memory"
    url = "redis://127.0.0.1:6379/0"
    assert from_config({"BFF": {"rate_limit_storage": f" {url} "}}).rate_limit_storage == url
    assert from_config(load_config("config.yaml")).rate_limit_storage == "memory"
    for wrong in ("memcached://:pw@cache:11211", "redis", "Memory"):
        with pytest.raises(ValueError, match="rate_limit_storage") as refused:
            from_config({"BFF": {"rate_limit_storage": wrong}})
        assert ":pw@" not in str(refused.value)
