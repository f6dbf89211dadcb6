"""The `gpsoc` console command: database, seeding and serving."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
from tqdm import tqdm

from catalogue.config import ConfigurationError, Settings
from catalogue.db import make_engine, make_session_factory, refresh_statistics, writer_engine
from catalogue.errors import DomainError
from catalogue.migrate import upgrade_to_head
from catalogue.principal import Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from search import SearchEngine
    from search.locking import DrainLock

TOKEN_ROLES = [role.value for role in Role]


def _settings() -> Settings:
    settings = Settings.from_env()
    settings.ensure_data_dir()
    return settings


# The exit code of a setting the service cannot use (as click's own for a bad option).
CONFIGURATION_EXIT_CODE = 2


class _Commands(click.Group):
    """Every command reads the settings first; an unusable one is one line naming the
    variable, and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigurationError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(CONFIGURATION_EXIT_CODE)


@click.group(cls=_Commands)
def main() -> None:
    """GPSoC catalogue: manage the database and serve the API."""
    # Every command needs them: refuse a bad value, an unusable data directory or a database
    # that does not answer before doing anything (one line, exit 2).
    Settings.from_env().check_usable()


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
    # Bulk-loaded synthetic items bypass the outbox: only a rebuild brings them in.
    _index_in_step(rebuild=synthetic is not None)


def _index_in_step(rebuild: bool) -> None:
    """Leave the search index in step with the database: drain the outbox rows the command
    wrote, or rebuild the index when it needs it (none yet, broken, an older format, empty)
    or `rebuild` says so. An unreachable engine is reported, not fatal: the rows stay pending
    and the server's keeper drains them once it answers."""
    from search import SearchUnavailable, count_public, outbox_backlog, rebuild_reason

    engine, lock, read_session, write_session = _search_context()
    try:
        status = engine.index_status()

        def searchable() -> int:
            with read_session() as session:
                return count_public(session)

        reason = "synthetic items were bulk-loaded" if rebuild else None
        reason = reason or rebuild_reason(status, searchable)
        if reason is not None:
            click.echo(f"Building the search index ({reason}).")
            _rebuild_with_progress(engine, lock, read_session, write_session)
            return
        pending = outbox_backlog(read_session).pending
        if pending:
            _drain_with_progress(engine, lock, read_session, write_session, pending)
    except SearchUnavailable as error:
        click.echo(
            f"Search is not in step yet ({error}); its changes stay in the outbox until the "
            "engine answers (gpsoc serve and gpsoc index-worker drain them).",
            err=True,
        )


def _drain_with_progress(
    engine: SearchEngine,
    lock: DrainLock,
    read_session: sessionmaker[Session],
    write_session: sessionmaker[Session],
    pending: int,
) -> None:
    from search import SearchUnavailable, drain_outbox

    with tqdm(total=pending, unit="change", desc=f"index ({engine.name})", file=sys.stderr) as bar:
        report = drain_outbox(engine, lock, read_session, write_session, on_progress=bar.update)
    if report.failed:
        raise SearchUnavailable(report.error or "the engine refused the changes")
    click.echo(f"Indexed {report.acknowledged} changes into the search index.")


@main.command("create-token")
@click.option("--role", required=True, type=click.Choice(TOKEN_ROLES), help="Its role.")
@click.option("--supplier", "supplier_id", type=int, help="Supplier id (supplier role).")
@click.option(
    "--organisation",
    "organisation_id",
    type=int,
    help="Organisation id (commissioner or practice role).",
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

    engine, lock, read_session, write_session = _search_context()
    try:
        _rebuild_with_progress(engine, lock, read_session, write_session)
    except SearchUnavailable as error:
        raise click.ClickException(str(error)) from error


def _rebuild_with_progress(
    engine: SearchEngine,
    lock: DrainLock,
    read_session: sessionmaker[Session],
    write_session: sessionmaker[Session],
) -> None:
    from search import reindex as rebuild

    with tqdm(unit="item", desc=f"reindex ({engine.name})", file=sys.stderr) as bar:

        def set_total(total: int) -> None:
            bar.total = total
            bar.refresh()

        report = rebuild(
            engine,
            lock,
            read_session,
            write_session,
            on_total=set_total,
            on_progress=bar.update,
        )
    rate = report.indexed / bar.format_dict["elapsed"] if bar.format_dict["elapsed"] else 0
    click.echo(
        f"Indexed {report.indexed} items ({rate:,.0f} items/s); "
        f"{report.acknowledged + report.drained.acknowledged} outbox rows acknowledged."
    )


@main.command("index-worker")
@click.option("--interval", default=1.0, type=click.FloatRange(min=0.05), show_default=True)
@click.option("--once", is_flag=True, help="Drain what is pending and stop.")
def index_worker(interval: float, once: bool) -> None:
    """Drain the search outbox continuously (for multi-process deployments); like a serving
    process's keeper, it also rebuilds an index that is missing, broken or outdated."""
    import time

    from search import IndexKeeper

    engine, lock, read_session, write_session = _search_context()
    keeper = IndexKeeper(engine, lock, read_session, write_session)
    click.echo(f"Draining the search outbox into the {engine.name} engine every {interval}s.")
    while True:
        report = keeper.tick()
        if report is not None and (report.acknowledged or report.failed):
            click.echo(
                f"indexed {report.indexed}, deleted {report.deleted}, "
                f"failed {report.failed}" + (f" ({report.error})" if report.error else "")
            )
        if once:
            return
        time.sleep(interval)


@main.command("notify-worker")
@click.option(
    "--interval",
    default=None,
    type=click.FloatRange(min=0.05),
    help="Seconds between rounds [default: GPSOC_NOTIFY_INTERVAL, or 5].",
)
@click.option("--once", is_flag=True, help="Send what is due and stop.")
@click.option(
    "--lease",
    default=600.0,
    type=click.FloatRange(min=0.1),
    show_default=True,
    help="Seconds a claim on a delivery lasts: a worker that dies holding it frees it then.",
)
def notify_worker(interval: float | None, once: bool, lease: float) -> None:
    """Send the notification outbox (emails and webhooks) continuously; any number may run
    beside the serving processes' own notifier threads, none sending what another claimed."""
    import time

    from service.notify import Notifier

    settings = _settings()
    sessions = make_session_factory(writer_engine(make_engine(settings.database_url)))
    notifier = Notifier.from_settings(settings, sessions)
    notifier.lease = lease
    every = interval or settings.notify_interval or 5.0
    where = f"SMTP {settings.smtp_host}" if settings.smtp_host else "files under data/mail"
    click.echo(f"Sending notifications (email to {where}) every {every}s.")
    while True:
        report = notifier.tick()
        if report.fanned_out or report.sent or report.failed:
            click.echo(
                f"events {report.fanned_out}, sent {report.sent}, failed {report.failed}",
            )
        if once:
            return
        time.sleep(every)


@main.command("search-check")
@click.option("--repair", is_flag=True, help="Index the differences found.")
def search_check(repair: bool) -> None:
    """Compare the database's searchable items with the search index: documents missing,
    extra, or stale (differing from the database). Exits 1 when it found drift (after
    repairing it, with --repair), 2 when the engine cannot be read."""
    from search import SearchUnavailable, find_drift, repair_drift

    engine, lock, read_session, _ = _search_context()
    try:
        drift = find_drift(engine, read_session)
    except SearchUnavailable as error:
        click.echo(f"Cannot read the search index: {error}", err=True)
        sys.exit(2)
    click.echo(
        f"{drift.searchable} searchable items in the database, {drift.indexed} documents in "
        f"the {engine.name} index, {drift.pending} changes pending in the outbox."
    )
    for label, ids in (("missing", drift.missing), ("extra", drift.extra), ("stale", drift.stale)):
        shown = ", ".join(map(str, ids[:20])) + (" ..." if len(ids) > 20 else "")
        click.echo(f"{label}: {len(ids)}" + (f" ({shown})" if ids else ""))
    if not drift.found:
        click.echo("The index is in step with the database.")
        return
    if repair:
        try:
            sent = repair_drift(engine, lock, read_session, drift)
        except SearchUnavailable as error:
            click.echo(f"Repair failed: {error}", err=True)
            sys.exit(2)
        click.echo(f"Repaired: {sent} items re-indexed or removed.")
    else:
        click.echo("Drift found; `gpsoc search-check --repair` fixes it.")
    sys.exit(1)
