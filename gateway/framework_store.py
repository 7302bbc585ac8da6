"""Opening the framework's store the one way every command and the gateway do: the database
named by ``framework.url`` and the master key that seals its secrets (``framework.sealing``).
A master key file that is missing is made (0600); one the group or others may read, or that
lacks the key a secret was sealed with, stops the command with the reason."""

from __future__ import annotations

from framework.core.files import NotPrivate
from framework.core.sealing import Keyring, SealingError
from framework.core.store import FrameworkStore
from gateway.config import Config, ConfigError
from storage import Database, open_database


def keyring(config: Config) -> Keyring:
    config.ensure_data_dir()
    try:
        return Keyring.load(config.master_key_path)
    except (NotPrivate, SealingError) as exc:
        raise ConfigError(str(exc)) from None


def open_store(config: Config, db: Database | None = None) -> FrameworkStore:
    ring = keyring(config)
    try:
        return FrameworkStore(db or open_database(config.framework_url), ring)
    except SealingError as exc:
        raise ConfigError(str(exc)) from None
