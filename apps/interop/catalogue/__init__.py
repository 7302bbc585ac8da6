"""The catalogue of test purposes: importing this package registers every purpose.

One module per part of the test suite structure (TSS); the catalogue is ordered by suite, group
(``apps.interop.model.GROUPS``), category (BV, BI, BO) and number, whichever module declares a
purpose: the framework first, then Account Management (which also tells the test accounts
apart), Payment and SMS; then CAMARA Carrier Billing (``cb_*``: over HTTPS only).
"""

from apps.interop.catalogue import (  # noqa: F401
    am_balance,
    am_notify,
    am_recharge,
    cb_payment,
    cb_refund,
    cb_validation,
    fw_access,
    fw_agreement,
    fw_agreement_refused,
    fw_authentication,
    fw_discovery,
    fw_ending,
    fw_initial,
    pay_amount,
    pay_policy,
    pay_reserve,
    pay_split,
    pay_volume,
    sms_notify,
    sms_send,
)
