"""Signing in (email and password, or a one-time link from `gpsoc create-user`) and out."""

from __future__ import annotations

from collections.abc import Sequence

from flask import flash, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from catalogue import accounts
from catalogue.models import UserAccount
from service.database import writing_session

from .pages import COMPARE_SESSION_KEY, Page, Problems, blueprint, local_path, render
from .signing_in import SESSION_VERSION_KEY, SignedInUser, throttle

WRONG = "Enter a correct email address and password."
THROTTLED = "There have been too many attempts to sign in. Wait 10 minutes and try again."


def _sign_in_page(
    errors: Sequence[tuple[str | None, str]] = (), email: str = "", status: int = 200
) -> Page:
    return render(
        "sign_in.html",
        title="Sign in",
        breadcrumbs=[("Home", "/")],
        error_count=len(errors),
        errors=list(errors),
        email=email,
        next=local_path(request.values.get("next"), ""),
        status=status,
    )


def _start_session(user: UserAccount) -> None:
    # A fresh session for the signed-in person; only the comparison list carries over.
    compared = session.get(COMPARE_SESSION_KEY)
    session.clear()
    if compared:
        session[COMPARE_SESSION_KEY] = compared
    session.permanent = True
    session[SESSION_VERSION_KEY] = user.session_version
    login_user(SignedInUser.of(user))


@blueprint.get("/sign-in")
def sign_in() -> Page:
    return _sign_in_page()


@blueprint.post("/sign-in")
def sign_in_submit() -> ResponseReturnValue:
    email = request.form.get("email", "").strip()[:254]
    password = request.form.get("password", "")[:1024]
    errors: Problems = []
    if not email:
        errors.append(("#email", "Enter your email address."))
    if not password:
        errors.append(("#password", "Enter your password."))
    if errors:
        return _sign_in_page(errors, email)
    limiter = throttle()
    if not limiter.allowed(email):
        return _sign_in_page([(None, THROTTLED)], email, status=429)
    db = writing_session()
    try:
        user = accounts.authenticate_password(db, email, password)
    except accounts.AuthenticationFailed:
        db.rollback()
        limiter.failed(email)
        return _sign_in_page([("#email", WRONG)], email)
    db.commit()
    _start_session(user)
    flash(f"You are signed in as {user.name}.", "success")
    return redirect(local_path(request.form.get("next"), "/"), 303)


@blueprint.get("/sign-in/link/<secret>")
def sign_in_link(secret: str) -> Page:
    # A link is used by pressing the button (a POST), so that mail scanners that follow links
    # do not use it up.
    return render(
        "sign_in_link.html",
        title="Sign in with your link",
        breadcrumbs=[("Home", "/")],
        secret=secret,
    )


@blueprint.post("/sign-in/link/<secret>")
def sign_in_link_submit(secret: str) -> ResponseReturnValue:
    limiter = throttle()
    if not limiter.allowed(None):
        return _sign_in_page([(None, THROTTLED)], status=429)
    db = writing_session()
    try:
        user = accounts.redeem_sign_in_link(db, secret[:200])
    except accounts.AuthenticationFailed:
        db.commit()  # an expired link is used up all the same
        limiter.failed(None)
        return _sign_in_page(
            [(None, "The sign-in link has expired or was already used. Ask for a new one.")],
            status=400,
        )
    db.commit()
    _start_session(user)
    flash(f"You are signed in as {user.name}.", "success")
    return redirect("/", 303)


@blueprint.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    if current_user.is_authenticated:
        # Ended on the server: a copy of this session's cookie no longer signs anyone in.
        db = writing_session()
        accounts.end_sessions(db, current_user.id)
        db.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect("/", 303)
