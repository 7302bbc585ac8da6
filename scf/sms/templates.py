"""Subscriber notification texts (payment details, low balance, unregistered account, ...).

Defaults in Korean and English live here; the operator overrides any of them in a TOML file
(``<data>/sms-templates.toml`` unless ``sms.templates_file`` names another), re-read when it
changes, so no restart is needed::

    [payment_details]
    ko = "[micropay] {merchant} {amount}{currency} 결제되었습니다. 잔액 {balance}{currency}"
    en = "[micropay] Paid {amount} {currency} to {merchant}. Balance {balance} {currency}"

Placeholders are ``{name}``; a template that names a field the caller did not give is refused
when rendered (``TemplateError``), and a file that does not parse is reported, with the defaults
staying in force.
"""

from __future__ import annotations

import logging
import string
import threading
import tomllib
from pathlib import Path
from typing import Any

logger = logging.getLogger("micropay.sms.templates")

FALLBACK_LANG = "en"

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "payment_details": {
        "ko": "[micropay] {merchant} {amount}{currency} 결제 완료 ({date}). 잔액 {balance}{currency}",
        "en": "[micropay] Paid {amount} {currency} to {merchant} on {date}. Balance {balance} {currency}",
    },
    "low_balance": {
        "ko": "[micropay] 잔액이 {balance}{currency} 남았습니다. 충전해 주세요.",
        "en": "[micropay] Your balance is low: {balance} {currency}. Please top up.",
    },
    "unregistered_account": {
        "ko": "[micropay] 소액결제에 등록되지 않은 번호입니다. 등록하려면 이 휴대폰으로 114(통신사 고객센터)에 전화하세요.",
        "en": "[micropay] This number is not registered for micro-payments. To register, call your mobile operator on 114 from this phone.",
    },
    "payment_refused": {
        "ko": "[micropay] {merchant} 결제가 거절되었습니다: {reason}",
        "en": "[micropay] Your payment to {merchant} was refused: {reason}",
    },
    "refund_details": {
        "ko": "[micropay] {merchant} {amount}{currency} 환불되었습니다. 잔액 {balance}{currency}",
        "en": "[micropay] Refunded {amount} {currency} from {merchant}. Balance {balance} {currency}",
    },
}


class TemplateError(Exception):
    """A template that is unknown or needs a field the caller did not give."""


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Templates:
    """The defaults overlaid with the operator's file (re-read when its mtime changes)."""

    def __init__(self, override_file: str | Path | None = None) -> None:
        self.path = Path(override_file) if override_file else None
        self._lock = threading.Lock()
        self._mtime_ns: int | None = None
        self._overrides: dict[str, dict[str, str]] = {}

    def _load(self) -> dict[str, dict[str, str]]:
        if self.path is None:
            return {}
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._mtime_ns, self._overrides = None, {}
            return {}
        with self._lock:
            if mtime != self._mtime_ns:
                try:
                    loaded = tomllib.loads(self.path.read_text(encoding="utf-8"))
                    self._overrides = {
                        kind: {lang: str(text) for lang, text in langs.items()}
                        for kind, langs in loaded.items()
                        if isinstance(langs, dict)
                    }
                except (OSError, tomllib.TOMLDecodeError) as exc:
                    logger.error(
                        "cannot read SMS templates %s: %s; defaults in force", self.path, exc
                    )
                    self._overrides = {}
                self._mtime_ns = mtime
            return self._overrides

    def template(self, kind: str, lang: str) -> str:
        overrides = self._load()
        for source in (overrides.get(kind, {}), DEFAULT_TEMPLATES.get(kind, {})):
            for candidate in (lang, lang.split("-")[0], FALLBACK_LANG):
                if candidate in source:
                    return source[candidate]
        raise TemplateError(f"no SMS template {kind!r}")

    def render(self, kind: str, lang: str, **fields: Any) -> str:
        template = self.template(kind, lang)
        missing = fields_of(template) - fields.keys()
        if missing:
            raise TemplateError(f"template {kind!r} needs {sorted(missing)}")
        return template.format(**{k: str(v) for k, v in fields.items()})
