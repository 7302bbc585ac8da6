"""A client process for the concurrency test: charges one end user COUNT times over CORBA.

    python -m tests.scf.payment.charger IOR END_USER COUNT AMOUNT PREFIX
prints {"ok": n, "refused": {messageId: n}} as JSON on stdout.
"""

from __future__ import annotations

import collections
import json
import sys

from org.csapi.parlayx import common, payment

from tests.scf.payment.gateway import charge, client_orb


def main(ior: str, end_user: str, count: int, amount: str, prefix: str) -> None:
    mgr = client_orb().string_to_object(ior)._narrow(payment.IpPaymentManager)
    ok, refused = 0, collections.Counter()
    for i in range(count):
        try:
            mgr.chargeAmount(end_user, charge(amount), f"{prefix}-{i}")
            ok += 1
        except (common.PolicyException, common.ServiceException) as e:
            refused[e.messageId] += 1
    print(json.dumps({"ok": ok, "refused": refused}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
