"""The admin console over real HTTP on SQLite and Postgres: sessions, CSRF, scopes, and its actions going through
the same bus as the API (a refund from the console is idempotent per form and audited with source `admin`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from litestar.testing import TestClient

from interfaces.http.app import create_app
from tests.e2e.conftest import LiveServer, serve
from tests.e2e.console_session import ConsoleSession, hidden_fields


@pytest.fixture
def console(live_server: LiveServer) -> Iterator[ConsoleSession]:
    session = ConsoleSession(live_server)
    yield session
    session.close()


def test_sign_in_sets_a_strict_http_only_cookie_and_a_wrong_key_is_refused(
    console: ConsoleSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = console.sign_in("pk_not_a_key")
    assert wrong.status_code == 401
    assert "Invalid API key" in wrong.text
    assert "pk_not_a_key" not in wrong.text

    good = console.sign_in(console.server.keys["reader"])
    assert good.status_code == 303
    assert good.headers["location"] == "/admin"
    cookie = next(c for c in good.headers.get_list("set-cookie") if c.startswith("payments_admin="))
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/admin"} <= attributes
    assert "secure" not in attributes  # the public URL is http here

    overview = console.get("/admin")
    assert overview.status_code == 200
    assert "unsafe-inline" not in overview.headers["content-security-policy"]
    assert console.server.keys["reader"] not in overview.text
    session_token = console.http.cookies.get("payments_admin") or ""
    logged = "\n".join(  # the service's log (the test's own HTTP client logs what it sends at DEBUG)
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    for secret in (console.server.keys["reader"], "pk_not_a_key", session_token):  # no key or token in it
        assert secret not in logged
    assert "console sign-in by reader" in logged


def test_pages_without_a_session_send_the_browser_to_sign_in(console: ConsoleSession) -> None:
    for path in ("/admin", "/admin/transactions", "/admin/api-keys"):
        answer = console.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/admin/login"


def test_a_console_refund_is_made_once_per_confirmation_and_audited_as_admin(console: ConsoleSession) -> None:
    server = console.server
    payment = server.paid_payment("console-refund-1", 10_000, "USD")
    page = f"/admin/payments/{payment['id']}"
    console.signed_in_as("refunder")

    review = console.submit(page, f"{page}/refund/review", amount="25.50", reason="requested_by_customer")
    assert review.status_code == 200
    assert "USD 25.50" in review.text
    confirm = hidden_fields(review.text, f"{page}/refund")
    assert confirm["amount"] == "2550"
    first = console.http.post(f"{page}/refund", data=confirm)
    again = console.http.post(f"{page}/refund", data=confirm)  # a double click, or the form sent again

    assert first.status_code == again.status_code == 303
    assert "done=already_done" in again.headers["location"]
    refunds = server.payment(payment["id"])["refunds"]
    assert [r["amount"] for r in refunds] == [2550]
    trail = server.get(f"/api/v1/payments/{payment['id']}/events", key="admin").json()["data"]
    requested = next(e for e in trail if e["type"] == "refund.requested")
    assert (requested["source"], requested["actor"]) == ("admin", "refunder")


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(console: ConsoleSession) -> None:
    server = console.server
    payment = server.paid_payment("console-csrf-1", 5_000, "USD")
    page = f"/admin/payments/{payment['id']}"
    console.signed_in_as("admin")
    review = console.submit(page, f"{page}/refund/review", amount="50.00", reason="duplicate")
    forged = {k: v for k, v in hidden_fields(review.text, f"{page}/refund").items() if k != "csrf_token"}

    refused = console.http.post(f"{page}/refund", data=forged)
    wrong = console.http.post(f"{page}/refund", data={**forged, "csrf_token": "x" * 43})

    assert refused.status_code == wrong.status_code == 403
    assert "text/html" in refused.headers["content-type"]
    assert server.payment(payment["id"])["refunds"] == []


def test_a_read_only_key_sees_no_controls_and_is_refused_when_it_posts(console: ConsoleSession) -> None:
    server = console.server
    payment = server.paid_payment("console-reader-1", 5_000, "USD")
    page = f"/admin/payments/{payment['id']}"
    console.signed_in_as("reader")
    html = console.get(page).text
    assert "/refund/review" not in html
    assert "Create key" not in console.get("/admin/api-keys").text
    csrf = hidden_fields(console.get("/admin").text, "/admin/logout")["csrf_token"]

    refused = console.http.post(
        f"{page}/refund", data={"csrf_token": csrf, "form_key": "k" * 32, "amount": "100", "reason": "other"}
    )

    assert refused.status_code == 403
    assert server.payment(payment["id"])["refunds"] == []


def test_amounts_are_read_and_shown_with_the_currency_exponent(console: ConsoleSession) -> None:
    server = console.server
    payment = server.paid_payment("console-jpy-1", 1_000, "JPY")
    page = f"/admin/payments/{payment['id']}"
    console.signed_in_as("refunder")
    assert "JPY 1,000" in console.get(page).text

    too_fine = console.submit(page, f"{page}/refund/review", amount="10.5", reason="other")
    review = console.submit(page, f"{page}/refund/review", amount="300", reason="other")

    assert too_fine.status_code == 422
    assert "no decimal places" in too_fine.text
    assert hidden_fields(review.text, f"{page}/refund")["amount"] == "300"


def test_sign_out_ends_the_session_on_the_server(console: ConsoleSession) -> None:
    console.signed_in_as("admin")
    cookie = console.http.cookies.get("payments_admin")
    signed_out = console.submit("/admin", "/admin/logout")
    assert signed_out.status_code == 303
    console.http.cookies.set("payments_admin", cookie or "", path="/admin")  # a copy of the old cookie

    assert console.get("/admin").status_code == 303


def test_an_unknown_console_address_is_a_page_and_the_api_keeps_problem_json(console: ConsoleSession) -> None:
    console.signed_in_as("reader")

    page = console.get("/admin/no-such-page")
    payment = console.get("/admin/payments/pay_does_not_exist")
    api = console.server.get("/api/v1/payments/pay_does_not_exist", key="reader")

    assert page.status_code == payment.status_code == api.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert "Check the id" in payment.text
    assert api.headers["content-type"] == "application/problem+json"


def test_sign_in_attempts_are_rate_limited_per_address(console: ConsoleSession) -> None:
    answers = [console.sign_in(f"pk_guess_{n}").status_code for n in range(11)]

    assert answers[:10] == [401] * 10
    assert answers[10] == 429
    refused = console.sign_in(console.server.keys["admin"])  # even the right key, until the window passes
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.text


def test_the_session_cookie_is_secure_when_the_public_url_is_https(sqlite: str, api_keys: dict[str, str]) -> None:
    for server in serve(sqlite, api_keys, public_url="https://payments.example"):
        # in process over https (a browser sends a Secure cookie back only over https)
        with TestClient(create_app(server.settings), base_url="https://payments.example") as client:
            form = client.get("/admin/login")
            signed_in = client.post(
                "/admin/login",
                data={**hidden_fields(form.text, "/admin/login"), "api_key": server.keys["reader"]},
                follow_redirects=False,
            )
        assert signed_in.status_code == 303, signed_in.text
        cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("payments_admin="))
        assert {"secure", "httponly", "samesite=strict"} <= {part.strip().lower() for part in cookie.split(";")}


def test_concurrent_console_refunds_never_exceed_the_amount(console: ConsoleSession) -> None:
    server = console.server
    payment = server.paid_payment("console-race-1", 10_000, "USD")
    page = f"/admin/payments/{payment['id']}"
    console.signed_in_as("refunder")
    # four people each review a refund of everything that is left, from their own page (each its own form key)
    confirmations = [
        hidden_fields(
            console.submit(page, f"{page}/refund/review", amount="100.00", reason="other").text, f"{page}/refund"
        )
        for _ in range(4)
    ]
    cookies = dict(console.http.cookies)

    def confirm(fields: dict[str, str]) -> int:
        with httpx.Client(base_url=server.base_url, cookies=cookies, timeout=20.0) as http:
            return http.post(f"{page}/refund", data=fields).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(confirm, confirmations))

    refunds = server.payment(payment["id"])["refunds"]
    assert sum(r["amount"] for r in refunds if r["status"] != "failed") == 10_000
    assert len(refunds) == 1
    assert sorted(answers).count(303) == 1, answers  # the others are told why (409/422 pages)
