"""Who is using the pages: Flask-Login sessions over the catalogue's user accounts, and the
throttle on failed sign-ins (the `limits` package, as the API's token throttle)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import Flask, current_app, request, session
from flask_login import LoginManager, UserMixin, current_user
from limits import RateLimitItem, parse, storage, strategies

from catalogue import accounts
from catalogue.models import UserAccount
from catalogue.principal import Principal
from service.database import get_session, writing_session

EXTENSION = "gpsoc_web_sign_in"
# The account's session version when the session began (catalogue.accounts.end_sessions).
SESSION_VERSION_KEY = "session_version"
login_manager = LoginManager()


@dataclass(frozen=True)
class SignedInUser(UserMixin):
    """The person behind a session, as Flask-Login wants them."""

    id: int
    email: str
    name: str
    principal: Principal
    organisation_name: str | None
    organisation_ods: str | None
    supplier_name: str | None

    def get_id(self) -> str:
        return str(self.id)

    @classmethod
    def of(cls, user: UserAccount) -> SignedInUser:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            principal=accounts.principal_for(user),
            organisation_name=user.organisation.name if user.organisation else None,
            organisation_ods=user.organisation.ods_code if user.organisation else None,
            supplier_name=user.supplier.name if user.supplier else None,
        )


DATABASE_THROTTLE = "database"


class SignInThrottle:
    """Failed sign-ins counted per client address and per account email: either reaching its
    limit refuses further tries for a while, so neither guessing one account's password from
    many places nor many accounts' from one place gets far.

    Counted where the API counts token failures (GPSOC_THROTTLE_STORAGE): by default in the
    database (`catalogue.accounts.throttle`), one count for every worker and machine; or in the
    `limits` store a URI names (memory:// is per process)."""

    def __init__(self, storage_uri: str, per_client: str, per_account: str) -> None:
        self.in_database = storage_uri == DATABASE_THROTTLE
        self.storage = storage.storage_from_string("memory://" if self.in_database else storage_uri)
        self.limiter = strategies.MovingWindowRateLimiter(self.storage)
        self.per_client = parse(per_client)
        self.per_account = parse(per_account)

    def _keys(self, email: str | None) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        """The counters a try is held to: the client's, and the account's when one is named (a
        sign-in link names none, so that nobody can lock every link out)."""
        keys: list[tuple[RateLimitItem, tuple[str, ...]]] = [
            (self.per_client, ("web-sign-in", "client", request.remote_addr or "unknown"))
        ]
        if email is not None:
            account = accounts.users.normalise_email(email)
            keys.append((self.per_account, ("web-sign-in", "account", account)))
        return keys

    @staticmethod
    def _database_key(key: tuple[str, ...]) -> str:
        """A key of the database's failure windows (at most 64 characters, none the API's):
        the client's address as it is, the account's email as a digest."""
        _, kind, value = key
        if kind == "account":
            value = hashlib.sha256(value.encode()).hexdigest()[:40]
        return f"web-{kind}:{value}"[: accounts.throttle.CLIENT_KEY_MAX]

    @staticmethod
    def _database_limit(limit: RateLimitItem) -> accounts.FailureLimit:
        return accounts.FailureLimit(limit.amount, limit.get_expiry())

    def allowed(self, email: str | None) -> bool:
        if self.in_database:
            db = get_session()
            return not any(
                accounts.is_throttled(db, self._database_key(key), self._database_limit(limit))
                for limit, key in self._keys(email)
            )
        return all(self.limiter.test(limit, *key) for limit, key in self._keys(email))

    def failed(self, email: str | None) -> None:
        if self.in_database:
            db = writing_session()
            for limit, key in self._keys(email):
                accounts.record_failure(db, self._database_key(key), self._database_limit(limit))
            db.commit()  # the count outlives this refusal
            return
        for limit, key in self._keys(email):
            self.limiter.hit(limit, *key)


def init_app(app: Flask) -> None:
    app.config.setdefault("WEB_SIGN_IN_LIMIT_PER_CLIENT", "20/10 minutes")
    app.config.setdefault("WEB_SIGN_IN_LIMIT_PER_ACCOUNT", "5/10 minutes")
    app.extensions[EXTENSION] = SignInThrottle(
        app.config.get("WEB_SIGN_IN_THROTTLE_STORAGE")
        or app.config["GPSOC_SETTINGS"].throttle_storage_uri,
        app.config["WEB_SIGN_IN_LIMIT_PER_CLIENT"],
        app.config["WEB_SIGN_IN_LIMIT_PER_ACCOUNT"],
    )
    login_manager.init_app(app)
    login_manager.login_view = "web.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.session_protection = "strong"


def throttle() -> SignInThrottle:
    return current_app.extensions[EXTENSION]


@login_manager.user_loader
def _load_user(user_id: str) -> SignedInUser | None:
    if not user_id.isdigit():
        return None
    user = accounts.active_user(get_session(), int(user_id))
    if user is None or not accounts.session_is_current(user, session.get(SESSION_VERSION_KEY)):
        return None  # gone, disabled, or signed out since (a copied cookie included)
    return SignedInUser.of(user)


def current_principal() -> Principal | None:
    """The signed-in person's principal, or None for an anonymous visitor."""
    return current_user.principal if current_user.is_authenticated else None
