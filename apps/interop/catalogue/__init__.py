"""The catalogue of test purposes: importing this package registers every purpose.

One module per group of the test suite structure (TSS), in the order they run: the framework
first (authentication, access, discovery, agreements), then Account Management (it also tells
the test accounts apart), Payment and SMS.
"""

from apps.interop.catalogue import (  # noqa: F401
    fw_access,
    fw_agreement,
    fw_authentication,
    fw_discovery,
)
