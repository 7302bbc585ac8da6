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
    # -- the subscriber's alerts (charging.alerts; scf.account.alerts sends them) ---------------
    "alert_pin_locked": {
        "ko": "[micropay] PIN이 {failures}회 틀렸습니다. {until}까지 PIN 사용이 잠깁니다. 본인이 아니면 {short_code}로 '분실'을 보내세요.",
        "en": "[micropay] {failures} wrong PINs were entered. PIN use is locked until {until}. Not you? Send STOP to {short_code}.",
    },
    "alert_suspended": {
        "ko": "[micropay] 계정이 정지되어 결제할 수 없습니다. 재개하려면 {short_code}로 '재개 PIN'을 보내세요.",
        "en": "[micropay] Your account is suspended: no payment can be made. To resume, send RESUME and your PIN to {short_code}.",
    },
    "alert_suspended_operator": {
        "ko": "[micropay] 계정이 운영자에 의해 정지되었습니다. 고객센터로 문의하세요.",
        "en": "[micropay] Your account was suspended by the operator. Please contact us.",
    },
    "alert_suspended_pin": {
        "ko": "[micropay] PIN이 거듭 틀려 계정을 정지했습니다. 본인이면 잠금이 풀린 뒤 {short_code}로 '재개 PIN'을 보내세요.",
        "en": "[micropay] After repeated wrong PINs your account is suspended. If it was you, send RESUME and your PIN to {short_code} once PIN use is unlocked.",
    },
    "alert_resumed": {
        "ko": "[micropay] 계정이 다시 사용 가능합니다.",
        "en": "[micropay] Your account is active again.",
    },
    "alert_limit_lowered": {
        "ko": "[micropay] 월 한도가 {limit}{currency}(으)로 바뀌었습니다.",
        "en": "[micropay] Your monthly limit is now {limit} {currency}.",
    },
    "alert_limit_raise_pending": {
        "ko": "[micropay] 월 한도가 {effective_at}에 {limit}{currency}(으)로 오릅니다. 본인이 아니면 {short_code}로 '분실'을 보내세요.",
        "en": "[micropay] Your monthly limit rises to {limit} {currency} on {effective_at}. Not you? Send STOP to {short_code}.",
    },
    "alert_limit_raised": {
        "ko": "[micropay] 월 한도가 {limit}{currency}(으)로 올랐습니다.",
        "en": "[micropay] Your monthly limit is now {limit} {currency}.",
    },
    "alert_large_payment": {
        "ko": "[micropay] {amount}{currency} 결제 ({when}). 잔액 {balance}{currency}. 본인이 아니면 {short_code}로 '분실'을 보내세요.",
        "en": "[micropay] A payment of {amount} {currency} was made ({when}). Balance {balance} {currency}. Not you? Send STOP to {short_code}.",
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
