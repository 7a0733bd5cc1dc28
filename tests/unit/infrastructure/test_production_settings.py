"""Production refuses unsafe configuration: one clear line per mistake, every mistake at once."""

from __future__ import annotations

import json

import pytest

from infrastructure.settings import SettingsError, load_settings

STRONG_KEY = "pk_live_" + "Q7x9Lm2Rt5Vb8Nc1Zp4Kd6Hs3Jf0Wg"  # 40 characters, many different ones
GOOD_PRODUCTION = {
    "PAYMENTS_ENV": "production",
    "PAYMENTS_PUBLIC_URL": "https://payments.example.com",
    "PAYMENTS_DATABASE_URL": "postgresql+asyncpg://payments@db.internal/payments",
    "PAYMENTS_API_KEYS": json.dumps([{"name": "orders", "key": STRONG_KEY, "scopes": ["payments:write"]}]),
    "PAYMENTS_PROVIDERS": "stripe",
    "PAYMENTS_STRIPE_SECRET_KEY": "sk_live_x",
    "PAYMENTS_STRIPE_WEBHOOK_SECRETS": "whsec_x",
}


def problems(**changes: str | None) -> list[str]:
    environ = {k: v for k, v in (GOOD_PRODUCTION | changes).items() if v is not None}
    with pytest.raises(SettingsError) as refused:
        load_settings(environ, env_file=None)
    return refused.value.problems


def test_a_safe_production_configuration_starts() -> None:
    settings = load_settings(GOOD_PRODUCTION, env_file=None)
    assert settings.is_production
    assert settings.providers == ("stripe",)
    assert not settings.worker_in_process


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"PAYMENTS_API_KEYS": None}, "PAYMENTS_API_KEYS must list at least one key in production"),
        (
            {"PAYMENTS_API_KEYS": json.dumps([{"name": "o", "key": "k" * 40, "scopes": ["admin"]}])},
            "PAYMENTS_API_KEYS key 'o' is too weak for production: use at least 32 random characters "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')",
        ),
        (
            {"PAYMENTS_API_KEYS": json.dumps([{"name": "o", "key": "Ab3" * 12, "scopes": ["admin"]}])},
            "PAYMENTS_API_KEYS key 'o' is too weak for production: use at least 32 random characters "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')",
        ),
        (
            {"PAYMENTS_PROVIDERS": "stripe,simulator"},
            "PAYMENTS_PROVIDERS must not enable the simulator in production (it pays without a provider)",
        ),
        ({"PAYMENTS_PROVIDERS": None}, "PAYMENTS_PROVIDERS must name at least one provider in production"),
        (
            {"PAYMENTS_STRIPE_WEBHOOK_SECRETS": None},
            "PAYMENTS_STRIPE_WEBHOOK_SECRETS is required because stripe is in PAYMENTS_PROVIDERS",
        ),
        (
            {
                "PAYMENTS_PROVIDERS": "stripe,paypal",
                "PAYMENTS_PAYPAL_CLIENT_ID": "id",
                "PAYMENTS_PAYPAL_CLIENT_SECRET": "s",
            },
            "PAYMENTS_PAYPAL_WEBHOOK_ID is required because paypal is in PAYMENTS_PROVIDERS",
        ),
        (
            {"PAYMENTS_DATABASE_URL": "sqlite+aiosqlite:///./payments.db"},
            "PAYMENTS_DATABASE_URL is SQLite; production needs Postgres (or PAYMENTS_ALLOW_SQLITE_IN_PRODUCTION=true)",
        ),
        (
            {"PAYMENTS_DATABASE_URL": "sqlite+aiosqlite:///./p.db", "PAYMENTS_ALLOW_SQLITE_IN_PRODUCTION": "false"},
            "PAYMENTS_DATABASE_URL is SQLite; production needs Postgres (or PAYMENTS_ALLOW_SQLITE_IN_PRODUCTION=true)",
        ),
        (
            {"PAYMENTS_ALLOW_SQLITE_IN_PRODUCTION": "yes"},
            "PAYMENTS_ALLOW_SQLITE_IN_PRODUCTION must be one of true, false, got 'yes'",
        ),
        (
            {"PAYMENTS_PUBLIC_URL": "http://payments.example.com"},
            "PAYMENTS_PUBLIC_URL must be the service's https:// address in production (http only on localhost); "
            "got 'http://payments.example.com'",
        ),
        (
            {"PAYMENTS_PUBLIC_URL": None, "PAYMENTS_HOST": "0.0.0.0"},
            "PAYMENTS_PUBLIC_URL must be the service's https:// address in production (http only on localhost); "
            "it is not set",
        ),
        (
            {"PAYMENTS_STRIPE_API_BASE": "http://stripe.internal"},
            "PAYMENTS_STRIPE_API_BASE must be https in production (it carries the secret key); "
            "got 'http://stripe.internal'",
        ),
        (
            # a public address: a host name would be resolved, and nothing resolves here
            {"PAYMENTS_ORDER_CALLBACK_URL": "https://93.184.216.34/callbacks", "PAYMENTS_CALLBACK_SECRET": "secret"},
            "PAYMENTS_CALLBACK_SECRET is too weak for production: use at least 32 random characters",
        ),
    ],
)
def test_each_unsafe_choice_is_one_line(changes: dict[str, str | None], line: str) -> None:
    assert problems(**changes) == [line]


CALLBACK_SECRET = "cbs_" + "Zq8Wm3Nx7Kp2Rv6Ty1Lc5Hd9Fg4Bj0Ss"
PRIVATE_CALLBACKS = (
    "PAYMENTS_ORDER_CALLBACK_URL must reach a public address while PAYMENTS_CALLBACK_ALLOW_PRIVATE_NETWORKS is false: "
)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.5/hook", "the address 10.0.0.5 is not public (private)"),
        ("https://169.254.169.254/latest", "the address 169.254.169.254 is not public (link-local)"),
        ("http://2130706433:9000/cb", "the address 127.0.0.1 is not public (loopback)"),
        ("http://[::1]/cb", "the address ::1 is not public (loopback)"),
        ("http://localhost:9000/cb", "the host localhost resolves to an address that is not public (loopback)"),
        ("https://callbacks.invalid/cb", "the host callbacks.invalid does not resolve"),
    ],
)
def test_production_refuses_an_order_callback_url_that_is_not_public(url: str, reason: str) -> None:
    assert problems(PAYMENTS_ORDER_CALLBACK_URL=url, PAYMENTS_CALLBACK_SECRET=CALLBACK_SECRET) == [
        PRIVATE_CALLBACKS + reason
    ]


def test_private_callbacks_are_allowed_in_production_only_when_asked_for() -> None:
    environ = GOOD_PRODUCTION | {
        "PAYMENTS_ORDER_CALLBACK_URL": "http://10.0.0.5/hook",
        "PAYMENTS_CALLBACK_SECRET": CALLBACK_SECRET,
        "PAYMENTS_CALLBACK_ALLOW_PRIVATE_NETWORKS": "true",
    }
    settings = load_settings(environ, env_file=None)
    assert (settings.order_callback_url, settings.callback_allow_private_networks) == ("http://10.0.0.5/hook", True)
    assert not load_settings(GOOD_PRODUCTION, env_file=None).callback_allow_private_networks


def test_development_allows_private_callbacks_unless_told_otherwise() -> None:
    environ = {"PAYMENTS_ORDER_CALLBACK_URL": "http://127.0.0.1:9000/cb", "PAYMENTS_CALLBACK_SECRET": "dev-secret"}
    assert load_settings(environ, env_file=None).callback_allow_private_networks
    with pytest.raises(SettingsError) as refused:
        load_settings(environ | {"PAYMENTS_CALLBACK_ALLOW_PRIVATE_NETWORKS": "false"}, env_file=None)
    assert refused.value.problems == [PRIVATE_CALLBACKS + "the address 127.0.0.1 is not public (loopback)"]


@pytest.mark.parametrize("url", ["http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]:8000"])
def test_plain_http_is_allowed_on_localhost_only(url: str) -> None:
    """A trial on one machine: nobody outside can reach it, so nothing travels in clear over a network."""
    assert load_settings(GOOD_PRODUCTION | {"PAYMENTS_PUBLIC_URL": url}, env_file=None).public_url == url


def test_sqlite_is_allowed_with_the_explicit_opt_in() -> None:
    environ = GOOD_PRODUCTION | {
        "PAYMENTS_DATABASE_URL": "sqlite+aiosqlite:///./payments.db",
        "PAYMENTS_ALLOW_SQLITE_IN_PRODUCTION": "true",
    }
    assert load_settings(environ, env_file=None).is_sqlite


def test_every_mistake_is_reported_together() -> None:
    lines = problems(
        PAYMENTS_API_KEYS=None,
        PAYMENTS_PROVIDERS="stripe,simulator",
        PAYMENTS_STRIPE_SECRET_KEY=None,
        PAYMENTS_DATABASE_URL="sqlite+aiosqlite:///./payments.db",
        PAYMENTS_PUBLIC_URL="http://payments.example.com",
    )
    assert [line.split()[0] for line in lines] == [
        "PAYMENTS_STRIPE_SECRET_KEY",
        "PAYMENTS_API_KEYS",
        "PAYMENTS_PROVIDERS",
        "PAYMENTS_DATABASE_URL",
        "PAYMENTS_PUBLIC_URL",
    ]


def test_development_allows_what_production_refuses() -> None:
    environ = {
        "PAYMENTS_PUBLIC_URL": "http://127.0.0.1:8000",
        "PAYMENTS_API_KEYS": json.dumps([{"name": "o", "key": "k" * 16, "scopes": ["admin"]}]),
    }
    settings = load_settings(environ, env_file=None)
    assert settings.providers == ("simulator",)
    assert settings.is_sqlite
