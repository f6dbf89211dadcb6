"""The GPSoC catalogue domain: models, rules and services. Framework-free (no Flask here)."""
