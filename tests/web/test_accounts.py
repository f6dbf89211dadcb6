"""People sign in and out: argon2 passwords, one-time links, CSRF on every form, the throttle,
the session cookie, and the catalogue's visibility rules applied to the signed-in person."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select

from api.cli import main
from catalogue import accounts
from catalogue.errors import InvalidInput
from catalogue.models import AuditEvent, CatalogueItem, ItemStatus, UserAccount
from catalogue.principal import CONSOLE, Role

from .conftest import PASSWORD, csrf_token, post_form, sign_in


def test_passwords_are_kept_as_argon2_hashes(db, make_user):
    user, _ = make_user(Role.AUTHORITY, "ann@example.nhs.uk")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, PASSWORD)
    event = db.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "user", AuditEvent.action == "user.create"
        )
    ).all()[-1]
    assert "password" not in str(event.after).replace("has_password", "")


@pytest.mark.parametrize(
    ("role", "binding", "field"),
    [
        (Role.PRACTICE, {}, "organisation_id"),
        (Role.SUPPLIER, {}, "supplier_id"),
        (Role.AUTHORITY, {"supplier_id": 1}, "role"),
    ],
)
def test_an_account_is_bound_as_its_role_needs(db, role, binding, field):
    with pytest.raises(InvalidInput) as refused:
        accounts.create_user(
            db, CONSOLE, email="x@example.nhs.uk", name="X", role=role, password=PASSWORD, **binding
        )
    assert field in refused.value.errors


def test_a_commissioner_account_needs_a_commissioner_not_a_practice(db, make_user):
    with pytest.raises(InvalidInput):
        make_user(Role.COMMISSIONER, "c@example.nhs.uk", ods="A81001")
    with pytest.raises(InvalidInput):
        accounts.create_user(
            db,
            CONSOLE,
            email="short@example.nhs.uk",
            name="S",
            role=Role.AUTHORITY,
            password="short",
        )


def test_email_is_unique_whatever_its_case(make_user):
    make_user(Role.AUTHORITY, "Ann@Example.nhs.uk")
    with pytest.raises(InvalidInput) as refused:
        make_user(Role.AUTHORITY, "ann@example.NHS.uk")
    assert "email" in refused.value.errors


def test_practice_tokens_are_not_issued_yet(db):
    with pytest.raises(InvalidInput):
        accounts.issue_token(db, CONSOLE, Role.PRACTICE, "practice token")


def test_sign_in_and_out(web, make_user):
    make_user(Role.PRACTICE, "priya@example.nhs.uk", ods="A81001")
    response = sign_in(web, "PRIYA@example.nhs.uk ")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = web.get("/").get_data(as_text=True)
    assert "Priya (practice, Riverside Medical Practice)" in home
    assert 'action="/sign-out"' in home

    response = post_form(web, "/sign-out", {}, page="/")
    assert response.status_code == 303
    home = web.get("/").get_data(as_text=True)
    assert "Priya" not in home and 'href="/sign-in"' in home


def test_a_wrong_password_or_unknown_email_reads_the_same(web, make_user):
    make_user(Role.PRACTICE, "priya@example.nhs.uk", ods="A81001")
    wrong = sign_in(web, "priya@example.nhs.uk", "not the password at all")
    unknown = sign_in(web, "nobody@example.nhs.uk")
    for response in (wrong, unknown):
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "Enter a correct email address and password." in body
        assert "<title>Error: Sign in" in body
    assert "Sign out" not in web.get("/").get_data(as_text=True)


def test_sign_in_is_throttled_per_account(web, make_user):
    make_user(Role.PRACTICE, "priya@example.nhs.uk", ods="A81001")
    for _ in range(5):
        assert sign_in(web, "priya@example.nhs.uk", "guess guess guess").status_code == 200
    # Even the right password is refused for a while now.
    throttled = sign_in(web, "priya@example.nhs.uk")
    assert throttled.status_code == 429
    assert "too many attempts" in throttled.get_data(as_text=True)
    assert "Sign out" not in web.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/sign-in", {"email": "a@example.nhs.uk", "password": "x"}),
        ("/sign-out", {}),
        ("/compare/add", {"item_id": "1"}),
        ("/compare/remove", {"item_id": "1"}),
        ("/compare/clear", {}),
        ("/sign-in/link/anything", {}),
    ],
)
def test_every_form_refuses_a_post_without_its_csrf_token(web, url, data):
    web.get("/sign-in")  # a session exists, but the token is not sent
    response = web.post(url, data=data)
    assert response.status_code == 400
    assert "did not come from this service" in response.get_data(as_text=True)
    response = web.post(url, data={**data, "csrf_token": "forged"})
    assert response.status_code == 400


def test_the_api_does_not_want_a_csrf_token(web):
    response = web.post("/api/v1/tokens", json={})
    assert response.status_code == 401  # its own authentication, not a CSRF refusal


def test_a_one_time_link_signs_in_once(web, make_user):
    _, secret = make_user(Role.AUTHORITY, "ann@example.nhs.uk", link=True)
    page = web.get(f"/sign-in/link/{secret}")
    assert page.status_code == 200  # following the link does not use it
    response = post_form(web, f"/sign-in/link/{secret}", {}, page=f"/sign-in/link/{secret}")
    assert response.status_code == 303
    assert "Ann (authority)" in web.get("/").get_data(as_text=True)
    post_form(web, "/sign-out", {}, page="/")
    again = post_form(web, f"/sign-in/link/{secret}", {}, page=f"/sign-in/link/{secret}")
    assert again.status_code == 400
    assert "expired or was already used" in again.get_data(as_text=True)


def test_a_supplier_sees_its_own_draft_and_others_do_not(web, db, make_user):
    item = db.get(CatalogueItem, 1)
    item.status = ItemStatus.DRAFT
    db.commit()
    assert web.get("/systems/1").status_code == 404
    make_user(Role.SUPPLIER, "sam@example.com", supplier_id=item.supplier_id)
    make_user(Role.PRACTICE, "priya@example.nhs.uk", ods="A81001")
    sign_in(web, "priya@example.nhs.uk")
    assert web.get("/systems/1").status_code == 404
    post_form(web, "/sign-out", {}, page="/")
    sign_in(web, "sam@example.com")
    page = web.get("/systems/1")
    assert page.status_code == 200
    assert "Not published" in page.get_data(as_text=True)
    listing = web.get(f"/suppliers/{item.supplier_id}").get_data(as_text=True)
    assert "Draft" in listing


def test_the_session_is_dropped_when_the_account_is_disabled(web, db, make_user):
    user, _ = make_user(Role.AUTHORITY, "ann@example.nhs.uk")
    sign_in(web, "ann@example.nhs.uk")
    assert "Sign out" in web.get("/").get_data(as_text=True)
    db.get(UserAccount, user.id).disabled_at = accounts.users.utcnow()
    db.commit()
    assert "Sign out" not in web.get("/").get_data(as_text=True)


def test_create_user_sets_a_password_from_the_prompt(tmp_path, monkeypatch):
    monkeypatch.setenv("GPSOC_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    assert runner.invoke(main, ["seed"]).exit_code == 0
    result = runner.invoke(
        main,
        ["create-user", "--email", "ann@example.nhs.uk", "--name", "Ann", "--role", "authority"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    result = runner.invoke(
        main,
        [
            "create-user",
            "--email",
            "bo@example.nhs.uk",
            "--name",
            "Bo",
            "--role",
            "authority",
            "--link",
            "--base-url",
            "https://gpsoc.example/",
        ],
    )
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("https://gpsoc.example/sign-in/link/")
    refused = runner.invoke(
        main,
        [
            "create-user",
            "--email",
            "p@example.nhs.uk",
            "--name",
            "P",
            "--role",
            "practice",
            "--link",
        ],
    )
    assert refused.exit_code != 0
    assert "practice organisation" in refused.output


def test_the_csrf_token_belongs_to_the_session(app, web):
    token = csrf_token(web)
    other = app.test_client()
    other.get("/sign-in")
    response = other.post("/compare/clear", data={"csrf_token": token})
    assert response.status_code == 400


def test_sign_in_is_throttled_per_client_across_accounts(web, make_user):
    make_user(Role.PRACTICE, "priya@example.nhs.uk", ods="A81001")
    for number in range(20):
        assert sign_in(web, f"guess{number}@example.nhs.uk", "guess").status_code == 200
    assert sign_in(web, "priya@example.nhs.uk").status_code == 429


def test_the_sign_in_form_takes_the_text_rule(web, make_user):
    """A NUL in the anonymous sign-in form is a 422 page (a 500 on PostgreSQL before)."""
    make_user(Role.PRACTICE, "priya@example.nhs.uk", ods="A81001")
    for email in ("priya\x00@example.nhs.uk", "priya@example.nhs.uk\x01"):
        response = sign_in(web, email)
        assert response.status_code == 422, email
        assert "control characters" in response.get_data(as_text=True)
    assert sign_in(web, "priya@example.nhs.uk").status_code == 303


def test_a_session_copied_before_sign_out_no_longer_signs_in(app, web, make_user):
    make_user(Role.PRACTICE, "priya@example.nhs.uk", ods="A81001")
    assert sign_in(web, "priya@example.nhs.uk").status_code == 303
    copy = app.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    copy.set_cookie(name, web.get_cookie(name).value)
    assert "Priya (practice" in copy.get("/").get_data(as_text=True)
    assert copy.get("/orders").status_code == 200

    assert post_form(web, "/sign-out", {}, page="/").status_code == 303

    assert copy.get("/orders").status_code == 303  # to sign in
    assert "Priya" not in copy.get("/").get_data(as_text=True)
    # Signing in again makes a new session that works.
    assert sign_in(web, "priya@example.nhs.uk").status_code == 303
    assert "Priya (practice" in web.get("/").get_data(as_text=True)


def test_sign_in_failures_are_counted_once_for_every_worker(tmp_path):
    """Two apps on one database, as two gunicorn workers: 5 failures for one account, spread
    over both, lock it in both (each counted 5 of its own before, so 10 tries got through)."""
    from sqlalchemy.orm import Session

    from api import create_app
    from tests.databases import fresh_database

    with fresh_database(tmp_path) as engine:
        with Session(engine) as db:
            accounts.create_user(
                db,
                CONSOLE,
                email="priya@example.nhs.uk",
                name="Priya",
                role=Role.AUTHORITY,
                password=PASSWORD,
            )
            db.commit()
        workers = [
            create_app(
                {"TESTING": True, "DATABASE_ENGINE": engine, "GPSOC_DATA_DIR": str(tmp_path)}
            ).test_client()
            for _ in range(2)
        ]
        for attempt in range(5):
            response = sign_in(workers[attempt % 2], "priya@example.nhs.uk", "guess guess")
            assert response.status_code == 200
        for worker in workers:
            assert sign_in(worker, "priya@example.nhs.uk").status_code == 429
