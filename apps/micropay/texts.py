"""Every SMS text the application sends, in Korean and English.

The subscriber notifications mirror the gateway's default templates word for word
(``scf/sms/templates.py``: payment_details, low_balance, unregistered_account, payment_refused;
a test keeps them equal). They are mirrored, not imported: the application is a third party
that reaches the gateway only over its published interfaces. ``balance_reply`` and ``help``
answer the SMS self-service (``BAL`` / ``잔액``) and are the application's own.
"""

from __future__ import annotations

import string
from typing import Any

FALLBACK_LANG = "en"

TEMPLATES: dict[str, dict[str, str]] = {
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
    # -- the application's own: SMS self-service on the short code --------------------------
    "balance_reply": {
        "ko": "[micropay] 잔액 {balance}{currency}. 이번 달 한도 {limit}{currency} 중 {spent}{currency} 사용, {headroom}{currency} 남음.",
        "en": "[micropay] Balance {balance} {currency}. This month {spent} of {limit} {currency} spent, {headroom} {currency} left.",
    },
    "balance_reply_no_limit": {
        "ko": "[micropay] 잔액 {balance}{currency}. 이번 달 {spent}{currency} 사용 (월 한도 없음).",
        "en": "[micropay] Balance {balance} {currency}. This month {spent} {currency} spent (no monthly limit).",
    },
    "help": {
        "ko": "[micropay] 잔액과 이번 달 남은 한도는 '잔액' 또는 BAL 을 보내 주세요.",
        "en": "[micropay] Send BAL for your balance and this month's remaining limit.",
    },
}

# The subscriber notifications that mirror the gateway's defaults.
MIRRORED = ("payment_details", "low_balance", "unregistered_account", "payment_refused")


class TextError(Exception):
    """An unknown text, or one rendered without a field it needs."""


def render(kind: str, lang: str, **fields: Any) -> str:
    langs = TEMPLATES.get(kind)
    if langs is None:
        raise TextError(f"no SMS text {kind!r}")
    template = langs.get(lang) or langs.get(lang.split("-")[0]) or langs[FALLBACK_LANG]
    needed = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    missing = needed - fields.keys()
    if missing:
        raise TextError(f"SMS text {kind!r} needs {sorted(missing)}")
    return template.format(**{k: str(v) for k, v in fields.items()})
