"""Settings from the environment: safe defaults, and a clear error for an unusable value."""

from pathlib import Path

import pytest

from catalogue.config import DEFAULT_SEARCH_CACHE, ConfigurationError, Settings


def test_defaults_need_nothing_installed():
    settings = Settings.from_env({})
    assert settings.data_dir == Path("data")
    assert settings.database_url == "sqlite:///data/gpsoc.sqlite3"
    assert settings.elasticsearch_url is None
    assert settings.search_cache_size == DEFAULT_SEARCH_CACHE
    # Counted in the database: one count for every worker (issue 10).
    assert settings.throttle_storage_uri == "database"
    assert settings.max_request_bytes == 1_048_576
    assert settings.audit_anchor_key is None


def test_environment_overrides():
    settings = Settings.from_env(
        {
            "GPSOC_DATA_DIR": "/srv/gpsoc",
            "DATABASE_URL": "postgresql+psycopg://gpsoc@db/gpsoc",
            "ELASTICSEARCH_URL": "http://search:9200",
            "GPSOC_SEARCH_CACHE": "0",
            "GPSOC_THROTTLE_STORAGE": "memory://",
            "GPSOC_SECRET_KEY": "sixteen characters at least",
            "GPSOC_SECURE_COOKIES": "yes",
            "GPSOC_TRUSTED_PROXIES": "1",
            "GPSOC_MAX_REQUEST_BYTES": "65536",
            "GPSOC_AUDIT_ANCHOR_KEY": "kept elsewhere by the operator",
        }
    )
    assert settings.data_dir == Path("/srv/gpsoc")
    assert settings.database_url.startswith("postgresql")
    assert settings.elasticsearch_url == "http://search:9200"
    assert settings.search_cache_size == 0
    assert settings.throttle_storage_uri == "memory://"
    assert settings.secret_key.get_secret_value() == "sixteen characters at least"
    assert settings.secure_cookies is True
    assert settings.trusted_proxies == 1
    assert settings.max_request_bytes == 65536
    assert settings.audit_anchor_key.get_secret_value() == "kept elsewhere by the operator"


@pytest.mark.parametrize("bad", ["-1", "many", "1.5"])
def test_an_unusable_cache_size_is_refused_with_its_name(bad):
    with pytest.raises(ConfigurationError, match="GPSOC_SEARCH_CACHE"):
        Settings.from_env({"GPSOC_SEARCH_CACHE": bad})


@pytest.mark.parametrize("bad", ["nonsense", "foo://x", "postgresql+nosuch://db/gpsoc"])
def test_an_unusable_database_url_is_refused_with_its_name(bad):
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        Settings.from_env({"DATABASE_URL": bad})


def test_the_database_url_is_not_repeated_in_the_error():
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"DATABASE_URL": "postgresql+nosuch://gpsoc:s3cret@db/gpsoc"})
    assert "s3cret" not in str(refused.value)


def test_search_keeper_settings_default_and_override():
    defaults = Settings.from_env({})
    assert defaults.search_drain_interval == 2.0 and defaults.outbox_lag_limit == 60.0
    settings = Settings.from_env(
        {"GPSOC_SEARCH_DRAIN_INTERVAL": "0", "GPSOC_OUTBOX_LAG_LIMIT": "12.5"}
    )
    assert settings.search_drain_interval == 0 and settings.outbox_lag_limit == 12.5


@pytest.mark.parametrize("name", ["GPSOC_SEARCH_DRAIN_INTERVAL", "GPSOC_OUTBOX_LAG_LIMIT"])
@pytest.mark.parametrize("bad", ["-1", "soon", "nan", "inf", "100000"])
def test_unusable_seconds_are_refused_with_their_name(name, bad):
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: bad})


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("GPSOC_THROTTLE_STORAGE", "bogus://"),
        ("GPSOC_SECURE_COOKIES", "maybe"),
        ("GPSOC_SECRET_KEY", "short"),
        ("GPSOC_AUDIT_ANCHOR_KEY", "                  "),
        ("ELASTICSEARCH_URL", "search:9200"),
        ("GPSOC_TRUSTED_PROXIES", "-1"),
    ],
)
def test_other_unusable_values_are_refused_with_their_name(name, bad):
    with pytest.raises(ConfigurationError, match=f"^{name}: "):
        Settings.from_env({name: bad})


def test_secrets_are_never_repeated_in_the_error():
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"GPSOC_SECRET_KEY": "s3cret"})
    assert "s3cret" not in str(refused.value)


def test_an_unusable_data_directory_is_refused_with_its_name(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    settings = Settings.from_env({"GPSOC_DATA_DIR": str(a_file)})
    with pytest.raises(ConfigurationError, match="^GPSOC_DATA_DIR: "):
        settings.ensure_data_dir()


def test_every_setting_is_documented():
    for name, field in Settings.model_fields.items():
        assert field.validation_alias and field.description, name
