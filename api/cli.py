"""The `gpsoc` console command: database, seeding and serving."""

from __future__ import annotations

import sys

import click
from tqdm import tqdm

from catalogue.config import Settings
from catalogue.db import make_engine, make_session_factory, writer_engine
from catalogue.errors import DomainError
from catalogue.migrate import upgrade_to_head
from catalogue.principal import Role


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
    from catalogue.seed import seed_catalogue, seed_synthetic

    engine = make_engine(_settings().database_url)
    session_factory = make_session_factory(engine)
    try:
        with session_factory.begin() as session:
            if synthetic is None:
                report = seed_catalogue(session)
                click.echo(f"Seeded: {report}")
                return
            with tqdm(total=synthetic, unit="item", desc="synthetic", file=sys.stderr) as bar:
                added = seed_synthetic(
                    session, synthetic, random_seed=random_seed, progress=bar.update
                )
            click.echo(f"Added {added} synthetic items (random seed {random_seed}).")
    except DomainError as error:
        raise click.ClickException(error.message) from error


@main.command("create-token")
@click.option(
    "--role", required=True, type=click.Choice([role.value for role in Role]), help="Its role."
)
@click.option("--supplier", "supplier_id", type=int, help="Supplier id (supplier role).")
@click.option(
    "--organisation", "organisation_id", type=int, help="Commissioner id (commissioner role)."
)
@click.option("--name", default=None, help="A label for the token.")
@click.option("--expires-in-days", type=click.IntRange(min=1), default=None)
def create_token(role, supplier_id, organisation_id, name, expires_in_days) -> None:
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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True)
@click.option("--workers", default=2, type=click.IntRange(1, 64), show_default=True)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API with gunicorn."""
    from api.server import serve as run

    run(host=host, port=port, workers=workers)
