"""The `gpsoc` console command: database, seeding and serving."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from tqdm import tqdm

from catalogue.config import Settings
from catalogue.db import make_engine, make_session_factory, refresh_statistics, writer_engine
from catalogue.errors import DomainError
from catalogue.migrate import upgrade_to_head
from catalogue.principal import Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from search import SearchEngine
    from search.locking import DrainLock

# Practices sign in on the web; API tokens for them are not issued yet.
TOKEN_ROLES = [role.value for role in Role if role is not Role.PRACTICE]


def _settings() -> Settings:
    settings = Settings.from_env()
    settings.ensure_data_dir()
    return settings


@click.group()
def main() -> None:
    """GPSoC catalogue: manage the database and serve the API."""


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic upgrade to head)."""
    engine = make_engine(_settings().database_url)
    with engine.begin() as connection:
        upgrade_to_head(connection)
    click.echo("Database is at the latest schema.")


@main.command()
@click.option("--synthetic", type=click.IntRange(min=1), help="Add N synthetic items.")
@click.option("--random-seed", type=int, default=0, show_default=True)
def seed(synthetic: int | None, random_seed: int) -> None:
    """Load the seed catalogue (idempotent), or add synthetic items for benchmarks."""
    from catalogue.seeding import seed_catalogue, seed_synthetic

    engine = make_engine(_settings().database_url)
    session_factory = make_session_factory(engine)
    try:
        with session_factory.begin() as session:
            if synthetic is None:
                report = seed_catalogue(session)
            else:
                with tqdm(total=synthetic, unit="item", desc="synthetic", file=sys.stderr) as bar:
                    added = seed_synthetic(
                        session, synthetic, random_seed=random_seed, progress=bar.update
                    )
    except DomainError as error:
        raise click.ClickException(error.message) from error
    refresh_statistics(engine)
    if synthetic is None:
        click.echo(f"Seeded: {report}")
    else:
        click.echo(f"Added {added} synthetic items (random seed {random_seed}).")
        click.echo("Bulk-loaded items reach search with `gpsoc reindex`.")


@main.command("create-token")
@click.option("--role", required=True, type=click.Choice(TOKEN_ROLES), help="Its role.")
@click.option("--supplier", "supplier_id", type=int, help="Supplier id (supplier role).")
@click.option(
    "--organisation", "organisation_id", type=int, help="Commissioner id (commissioner role)."
)
@click.option("--name", default=None, help="A label for the token.")
@click.option("--expires-in-days", type=click.IntRange(min=1), default=None)
def create_token(
    role: str,
    supplier_id: int | None,
    organisation_id: int | None,
    name: str | None,
    expires_in_days: int | None,
) -> None:
    """Issue an API token; the token alone is printed on the last line."""
    from catalogue import accounts
    from catalogue.principal import CONSOLE

    engine = make_engine(_settings().database_url)
    try:
        with make_session_factory(writer_engine(engine)).begin() as session:
            issued = accounts.issue_token(
                session,
                CONSOLE,
                Role(role),
                name or f"{role} token",
                supplier_id=supplier_id,
                organisation_id=organisation_id,
                expires_in_days=expires_in_days,
            )
    except DomainError as error:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (error.errors or {}).items())
        raise click.ClickException(f"{error.message} {details}".strip()) from error
    click.echo(f"Issued token {issued.token.id} ({issued.token.role.value}). Keep it secret:")
    click.echo(issued.secret)


@main.command("create-user")
@click.option("--email", required=True, help="The person's email address (they sign in with it).")
@click.option("--name", required=True, help="The person's name.")
@click.option(
    "--role", required=True, type=click.Choice([role.value for role in Role]), help="Their role."
)
@click.option("--supplier", "supplier_id", type=int, help="Supplier id (supplier role).")
@click.option(
    "--organisation",
    "organisation_id",
    type=int,
    help="Organisation id: the commissioner (commissioner role) or the practice (practice role).",
)
@click.option(
    "--link",
    is_flag=True,
    help="Print a one-time sign-in link instead of asking for a password.",
)
@click.option(
    "--base-url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="Where the service is served (for the link).",
)
def create_user(
    email: str,
    name: str,
    role: str,
    supplier_id: int | None,
    organisation_id: int | None,
    link: bool,
    base_url: str,
) -> None:
    """Make an account for a person to sign in to the web pages: set a password at the prompt,
    or print a one-time sign-in link (valid 24 hours) with --link."""
    from catalogue import accounts
    from catalogue.principal import CONSOLE

    password = None
    if not link:
        password = click.prompt(
            f"Password (at least {accounts.MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
    engine = make_engine(_settings().database_url)
    try:
        with make_session_factory(writer_engine(engine)).begin() as session:
            user = accounts.create_user(
                session,
                CONSOLE,
                email=email,
                name=name,
                role=Role(role),
                supplier_id=supplier_id,
                organisation_id=organisation_id,
                password=password,
            )
            secret = accounts.issue_sign_in_link(session, CONSOLE, user) if link else None
            user_id, user_email = user.id, user.email
    except DomainError as error:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (error.errors or {}).items())
        raise click.ClickException(f"{error.message} {details}".strip()) from error
    click.echo(f"Created user {user_id} ({user_email}, {role}).")
    if secret is not None:
        click.echo("One-time sign-in link (valid 24 hours):")
        click.echo(f"{base_url.rstrip('/')}/sign-in/link/{secret}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True)
@click.option("--workers", default=2, type=click.IntRange(1, 64), show_default=True)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API with gunicorn."""
    from api.server import serve as run

    run(host=host, port=port, workers=workers)


def _search_context() -> tuple[
    SearchEngine, DrainLock, sessionmaker[Session], sessionmaker[Session]
]:
    """The search engine, its drain lock and session factories, from the settings."""
    from search import make_drain_lock, make_search_engine

    settings = _settings()
    database = make_engine(settings.database_url)
    engine = make_search_engine(settings)
    lock = make_drain_lock(engine, database, settings.data_dir)
    return (
        engine,
        lock,
        make_session_factory(database),
        make_session_factory(writer_engine(database)),
    )


@main.command()
def reindex() -> None:
    """Rebuild the search index from the database and switch to it atomically."""
    from search import SearchUnavailable
    from search import reindex as rebuild

    engine, lock, read_session, write_session = _search_context()
    with tqdm(unit="item", desc=f"reindex ({engine.name})", file=sys.stderr) as bar:

        def set_total(total: int) -> None:
            bar.total = total
            bar.refresh()

        try:
            report = rebuild(
                engine,
                lock,
                read_session,
                write_session,
                on_total=set_total,
                on_progress=bar.update,
            )
        except SearchUnavailable as error:
            raise click.ClickException(str(error)) from error
    rate = report.indexed / bar.format_dict["elapsed"] if bar.format_dict["elapsed"] else 0
    click.echo(
        f"Indexed {report.indexed} items ({rate:,.0f} items/s); "
        f"{report.acknowledged + report.drained.acknowledged} outbox rows acknowledged."
    )


@main.command("index-worker")
@click.option("--interval", default=1.0, type=click.FloatRange(min=0.05), show_default=True)
@click.option("--once", is_flag=True, help="Drain what is pending and stop.")
def index_worker(interval: float, once: bool) -> None:
    """Drain the search outbox continuously (for multi-process deployments)."""
    import time

    from search import drain_outbox

    engine, lock, read_session, write_session = _search_context()
    click.echo(f"Draining the search outbox into the {engine.name} engine every {interval}s.")
    while True:
        report = drain_outbox(engine, lock, read_session, write_session)
        if report.acknowledged or report.failed:
            click.echo(
                f"indexed {report.indexed}, deleted {report.deleted}, "
                f"failed {report.failed}" + (f" ({report.error})" if report.error else "")
            )
        if once:
            return
        time.sleep(interval)
