"""Every SMS text the application sends, in Korean and English.

The subscriber notifications mirror the gateway's default templates word for word
(``scf/sms/templates.py``: payment_details, low_balance, unregistered_account, payment_refused;
a test keeps them equal). They are mirrored, not imported: the application is a third party
that reaches the gateway only over its published interfaces. The rest answer the SMS self-care
commands (``sms_commands``) and the payment confirmation code (``confirmation``) and are the
application's own.
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
        "ko": "[micropay] {short_code}로 보내세요: 잔액 / 내역 (최근 결제) / 분실 (정지) / 재개 PIN / 한도 금액 [PIN] / 인증 금액 (결제 확인 문자) / 알림 금액 (큰 결제 알림)",
        "en": "[micropay] Text {short_code}: BAL balance / HIST last payments / STOP lost phone / RESUME PIN / LIMIT amount [PIN] / OTP amount (codes) / ALERT amount",
    },
    "history_reply": {
        "ko": "[micropay] 최근 결제: {payments}",
        "en": "[micropay] Last payments: {payments}",
    },
    "history_none": {
        "ko": "[micropay] 결제 내역이 없습니다.",
        "en": "[micropay] No payments yet.",
    },
    "stop_done": {
        "ko": "[micropay] 계정을 정지했습니다. 결제가 되지 않습니다. 재개하려면 {short_code}로 '재개 PIN' (예: 재개 1234)을 보내세요.",
        "en": "[micropay] Your account is stopped: no payment can be made. To resume, text RESUME and your PIN (e.g. RESUME 1234) to {short_code}.",
    },
    "stop_done_no_pin": {
        "ko": "[micropay] 계정을 정지했습니다. 결제가 되지 않습니다. PIN이 없으므로 재개는 고객센터로 문의하세요.",
        "en": "[micropay] Your account is stopped: no payment can be made. It has no PIN, so contact us to resume it.",
    },
    "resume_done": {
        "ko": "[micropay] 계정이 다시 사용 가능합니다.",
        "en": "[micropay] Your account is active again.",
    },
    "resume_refused_operator": {
        "ko": "[micropay] 운영자가 정지한 계정은 문자로 재개할 수 없습니다. 고객센터로 문의하세요.",
        "en": "[micropay] The operator suspended this account: it cannot be resumed by SMS. Please contact us.",
    },
    "wrong_pin": {
        "ko": "[micropay] PIN이 틀렸습니다. 바뀐 것이 없습니다.",
        "en": "[micropay] Wrong PIN. Nothing was changed.",
    },
    "pin_locked": {
        "ko": "[micropay] PIN이 여러 번 틀려 잠시 잠겼습니다. 나중에 다시 보내세요.",
        "en": "[micropay] Too many wrong PINs: PIN use is locked for now. Try again later.",
    },
    "limit_lowered": {
        "ko": "[micropay] 월 한도가 {limit}{currency}(으)로 바뀌었습니다.",
        "en": "[micropay] Your monthly limit is now {limit} {currency}.",
    },
    "limit_pending": {
        "ko": "[micropay] 월 한도가 {when}에 {limit}{currency}(으)로 오릅니다. 그때까지는 {current}{currency}입니다.",
        "en": "[micropay] Your monthly limit rises to {limit} {currency} on {when}; until then it is {current} {currency}.",
    },
    "limit_needs_pin": {
        "ko": "[micropay] 한도를 올리려면 PIN이 필요합니다: '한도 {limit} PIN'을 보내세요.",
        "en": "[micropay] Raising the limit needs your PIN: text LIMIT {limit} and your PIN.",
    },
    "otp_set": {
        "ko": "[micropay] 이제 {amount}{currency}를 넘는 결제는 문자로 받은 인증번호로 확인합니다.",
        "en": "[micropay] Payments above {amount} {currency} now need a code we send by SMS.",
    },
    "otp_all": {
        "ko": "[micropay] 이제 모든 결제를 문자로 받은 인증번호로 확인합니다.",
        "en": "[micropay] Every payment now needs a code we send by SMS.",
    },
    "otp_off": {
        "ko": "[micropay] 결제 인증번호 확인을 해제했습니다.",
        "en": "[micropay] Payments no longer need a code by SMS.",
    },
    "alert_set": {
        "ko": "[micropay] {amount}{currency}를 넘는 결제마다 문자로 알려 드립니다.",
        "en": "[micropay] You will get an SMS for every payment above {amount} {currency}.",
    },
    "alert_off": {
        "ko": "[micropay] 큰 결제 알림을 해제했습니다.",
        "en": "[micropay] You will no longer get an SMS for large payments.",
    },
    "selfcare_unavailable": {
        "ko": "[micropay] 지금은 문자로 할 수 없습니다. 고객센터로 문의하세요.",
        "en": "[micropay] This cannot be done by SMS here. Please contact us.",
    },
    # -- payment confirmation (confirmation.py) ---------------------------------------------
    "confirmation_code": {
        "ko": "[micropay] {merchant} {amount}{currency} 결제 인증번호 {code} ({minutes}분 안에 입력). 요청하지 않았다면 입력하지 마세요.",
        "en": "[micropay] Code {code} confirms your payment of {amount} {currency} to {merchant}. It expires in {minutes} min. Did not ask? Ignore it.",
    },
    "confirmation_failed": {
        "ko": "[micropay] {merchant} {amount}{currency} 결제가 확인되지 않아 취소되었습니다. 청구된 금액은 없습니다.",
        "en": "[micropay] Your payment of {amount} {currency} to {merchant} was not confirmed and is cancelled. Nothing was charged.",
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
