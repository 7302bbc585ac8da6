"""A failure that is no domain error reaches the client as SVC0001 with an incident id only:
no SQL, no table names, no driver text."""

from __future__ import annotations

import pytest
from org.csapi.parlayx import common

from tests.scf.payment.gateway import DirectGateway, new_account


def test_an_internal_failure_is_svc0001_without_detail(gateway: DirectGateway) -> None:
    _, msisdn = new_account(gateway.ledger)
    with gateway.ledger.db.transaction() as tx:  # break the database under the running gateway
        tx.execute("DROP TABLE payment_tariffs")
    with pytest.raises(common.ServiceException) as caught:
        gateway.payment().getAmount(msisdn, 1, [])
    e = caught.value
    assert (e.messageId, e.text) == ("SVC0001", "A service error occurred. Error code is %1")
    [incident] = e.variables
    assert len(incident) == 12 and "tariff" not in repr(e) and "table" not in repr(e).lower()
    assert incident in gateway.log.read_text()  # the operator finds the details by the id
