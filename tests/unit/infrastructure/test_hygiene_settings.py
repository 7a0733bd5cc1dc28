"""The settings of failed-authentication limits and webhook body retention: defaults, values, one clear line per
mistake naming the variable."""

from __future__ import annotations

import pytest

from infrastructure.settings import SettingsError, load_settings


def test_defaults() -> None:
    settings = load_settings({}, env_file=None)
    assert (settings.ip_rate_limit_per_minute, settings.trusted_proxies) == (120, ())
    assert settings.webhook_body_retention_days == 30


def test_values_and_normalised_networks() -> None:
    settings = load_settings(
        {
            "PAYMENTS_IP_RATE_LIMIT_PER_MINUTE": "30",
            "PAYMENTS_TRUSTED_PROXIES": "10.1.2.3/8, 192.168.1.5 ,fd00::/8",
            "PAYMENTS_WEBHOOK_BODY_RETENTION_DAYS": "7",
        },
        env_file=None,
    )
    assert settings.ip_rate_limit_per_minute == 30
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.168.1.5/32", "fd00::/8")
    assert settings.webhook_body_retention_days == 7


def test_mistakes_name_their_variable() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(
            {
                "PAYMENTS_IP_RATE_LIMIT_PER_MINUTE": "0",
                "PAYMENTS_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal",
                "PAYMENTS_WEBHOOK_BODY_RETENTION_DAYS": "forever",
            },
            env_file=None,
        )
    lines = "\n".join(refused.value.problems)
    assert "PAYMENTS_IP_RATE_LIMIT_PER_MINUTE" in lines
    assert "PAYMENTS_TRUSTED_PROXIES" in lines
    assert "'proxy.internal'" in lines
    assert "PAYMENTS_WEBHOOK_BODY_RETENTION_DAYS" in lines
