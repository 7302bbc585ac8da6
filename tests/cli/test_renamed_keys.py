"""Configuration keys renamed to the naming rule of limits (unit or kind last) keep working.

An operator's file or ``MICROPAY_*`` variables with an old name (``ledger.pin_max_failures``)
set the new key (``ledger.pin_failures_max``), and the gateway says so once at start, naming
both; the old and the new name of one key with different values is refused.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gateway.config import DEFAULTS, RENAMED_KEYS, ConfigError, RenamedKey, load_config
from tests.conftest import ROOT
from tests.framework.gateway import Gateway

MICROPAY = str(ROOT / ".venv/bin/micropay")


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "micropay.toml"
    path.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n{text}')
    path.chmod(0o600)
    return path


def test_every_old_name_maps_to_a_key_of_its_own_section_that_exists() -> None:
    for old, new in RENAMED_KEYS.items():
        section, _, old_key = old.partition(".")
        new_section, _, new_key = new.partition(".")
        assert section == new_section and new_key in DEFAULTS[section], (old, new)
        assert old_key not in DEFAULTS[section], f"{old} is still a key of its own"


def test_an_old_name_in_the_file_sets_the_new_key_and_is_recorded(tmp_path: Path) -> None:
    path = config_file(
        tmp_path, "[ledger]\npin_max_failures = 5\n[sms]\nmax_length = 200\nshort_code_ton = 1\n"
    )
    config = load_config(path, env={})
    assert config["ledger"]["pin_failures_max"] == 5
    assert config["sms"]["length_max"] == 200
    assert "pin_max_failures" not in config["ledger"] and "max_length" not in config["sms"]
    assert config.source("ledger.pin_failures_max") == str(path)
    assert config.renamed == [
        RenamedKey("ledger.pin_max_failures", "ledger.pin_failures_max", str(path)),
        RenamedKey("sms.max_length", "sms.length_max", str(path)),
    ]


def test_an_old_variable_name_sets_the_new_key(tmp_path: Path) -> None:
    env = {"MICROPAY_SMSC_BIND_AUTH_RETRY_MAX_MS": "1000"}
    config = load_config(config_file(tmp_path, ""), env=env)
    assert config["smsc"]["bind_auth_retry_ms_max"] == 1000
    assert (
        config.source("smsc.bind_auth_retry_ms_max") == "env MICROPAY_SMSC_BIND_AUTH_RETRY_MAX_MS"
    )
    assert config.renamed == [
        RenamedKey(
            "smsc.bind_auth_retry_max_ms",
            "smsc.bind_auth_retry_ms_max",
            "env MICROPAY_SMSC_BIND_AUTH_RETRY_MAX_MS",
        )
    ]


def test_the_new_name_alone_is_no_warning(tmp_path: Path) -> None:
    path = config_file(tmp_path, "[ledger]\npin_failures_max = 5\n")
    config = load_config(path, env={"MICROPAY_CAMARA_SINK_RETRY_MS_MAX": "9000"})
    assert config["ledger"]["pin_failures_max"] == 5
    assert config["camara"]["sink_retry_ms_max"] == 9000
    assert config.renamed == []


def test_both_names_with_one_value_are_accepted(tmp_path: Path) -> None:
    path = config_file(tmp_path, "[ledger]\npin_max_failures = 5\npin_failures_max = 5\n")
    env = {"MICROPAY_SMS_MAX_LENGTH": "300", "MICROPAY_SMS_LENGTH_MAX": "300"}
    config = load_config(path, env=env)
    assert config["ledger"]["pin_failures_max"] == 5
    assert config["sms"]["length_max"] == 300
    assert [key.old for key in config.renamed] == ["ledger.pin_max_failures", "sms.max_length"]


@pytest.mark.parametrize(
    "text",
    [
        "pin_max_failures = 5\npin_failures_max = 4\n",
        "pin_failures_max = 4\npin_max_failures = 5\n",
    ],
)
def test_both_names_with_different_values_in_the_file_are_refused(
    tmp_path: Path, text: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(config_file(tmp_path, f"[ledger]\n{text}"), env={})
    assert "ledger.pin_max_failures" in str(err.value) and "ledger.pin_failures_max" in str(
        err.value
    )


def test_both_variable_names_with_different_values_are_refused(tmp_path: Path) -> None:
    env = {"MICROPAY_LEDGER_PIN_MAX_FAILURES": "5", "MICROPAY_LEDGER_PIN_FAILURES_MAX": "4"}
    with pytest.raises(ConfigError) as err:
        load_config(config_file(tmp_path, ""), env=env)
    assert "MICROPAY_LEDGER_PIN_MAX_FAILURES" in str(err.value)
    assert "MICROPAY_LEDGER_PIN_FAILURES_MAX" in str(err.value)


def test_a_variable_still_overrides_the_file_whatever_the_names(tmp_path: Path) -> None:
    path = config_file(tmp_path, "[ledger]\npin_failures_max = 4\n")
    config = load_config(path, env={"MICROPAY_LEDGER_PIN_MAX_FAILURES": "6"})
    assert config["ledger"]["pin_failures_max"] == 6
    assert [key.source for key in config.renamed] == ["env MICROPAY_LEDGER_PIN_MAX_FAILURES"]


def test_a_command_warns_on_stderr_and_works(tmp_path: Path) -> None:
    path = config_file(tmp_path, "[ledger]\ngroup_commit_max_batch = 64\n")
    done = subprocess.run(
        [MICROPAY, "--config", str(path), "--json", "status"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["configuration"] == str(path)
    assert done.stderr.splitlines() == [
        f"micropay: warning: ledger.group_commit_max_batch ({path}) is deprecated: it is now "
        "ledger.group_commit_batch_max"
    ]


def test_the_gateway_starts_on_old_names_with_one_structured_warning_each(
    tmp_path: Path,
) -> None:
    old = {"ledger": {"pin_max_failures": 4}, "framework": {"auth_max_failures": 7}}
    gateway = Gateway.start(tmp_path, old)
    try:
        assert gateway.health()["status"] == "ready"
    finally:
        gateway.stop()
    records = [json.loads(line) for line in gateway.log_text().splitlines() if line.startswith("{")]
    warnings = [r for r in records if r["msg"] == "deprecated configuration key"]
    assert [(w["level"], w["old"], w["new"]) for w in warnings] == [
        ("warning", "ledger.pin_max_failures", "ledger.pin_failures_max"),
        ("warning", "framework.auth_max_failures", "framework.auth_failures_max"),
    ]
    assert all(w["source"] == str(gateway.config_path) for w in warnings)
