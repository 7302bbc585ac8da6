"""The catalogue of test purposes: importing this package registers every purpose.

One module per part of the test suite structure (TSS); ``apps.interop.model.GROUPS`` orders the
groups: the framework first (IpInitial, authentication, access, discovery, agreements), then
Account Management (which also tells the test accounts apart), Payment and SMS.
"""

from apps.interop.catalogue import (  # noqa: F401
    am_balance,
    am_notify,
    am_recharge,
    fw_access,
    fw_agreement,
    fw_authentication,
    fw_discovery,
    pay_amount,
    pay_reserve,
    sms,
)
