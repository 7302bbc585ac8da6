"""Reading a rendered fault back (``scf.common.fault_text``): every row of the one table, rendered
as the CAMARA surface answers it, reads back as its own messageId and variables."""

from __future__ import annotations

import pytest

from charging.errors import InsufficientBalance, MonthlyLimitExceeded
from scf.common.fault_text import read, read_camara
from scf.common.faults import CAMARA_FORMS, FAULT_TABLE, TRANSIENT, UNEXPECTED, fault_for, render

ROWS = (*FAULT_TABLE, UNEXPECTED, TRANSIENT)


@pytest.mark.parametrize("spec", ROWS, ids=[s.code for s in ROWS])
def test_every_row_reads_back_from_its_camara_answer(spec) -> None:  # noqa: ANN001
    values = [f"value-{i}" for i in range(1, len(spec.variables) + 1)]
    text = render(spec.template, values)
    form = CAMARA_FORMS[spec.code]
    for code in {form.code, form.refund_code or form.code, *(c for _, c in form.operations)}:
        found = read_camara(form.status, code, text)
        assert found is not None, (spec.code, code, text)
        assert (found.message_id, found.variables) == (spec.message_id, values)


def test_figures_read_back_as_the_shop_needs_them() -> None:
    fault = fault_for(InsufficientBalance(available=1000, amount=1500, currency="KRW"))
    found = read_camara(403, "CARRIER_BILLING.PAYMENT_DENIED", fault.text)
    assert found is not None and found.message_id == "POL1000"
    assert found.metadata() == {"available": "1000", "amount": "1500", "currency": "KRW"}
    monthly = fault_for(MonthlyLimitExceeded(limit=300_000, spent=299_000, amount=1500,
                                             currency="KRW"))  # fmt: skip
    found = read_camara(422, "CARRIER_BILLING.USER_AMOUNT_THRESHOLD_OVERPASSED", monthly.text)
    assert found is not None and found.variables == monthly.variables


def test_what_no_row_says_is_none() -> None:
    assert read_camara(401, "UNAUTHENTICATED", "the token is unknown or expired") is None
    assert read_camara(403, "CARRIER_BILLING.PAYMENT_DENIED", "something else") is None
    assert read("No resources") is not None and read("No resources").message_id == "SVC1000"
