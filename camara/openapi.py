"""The OpenAPI 3.0.3 document of this surface (``GET /openapi.json``), written from the facts of
CAMARA r3.2: Carrier Billing v0.5.0 (``/carrier-billing/v0.5``) and Carrier Billing Refund v0.3.0
(``/carrier-billing-refund/v0.3``) -- the same paths, operationIds, parameters, schemas, enums,
scopes and error codes -- in one document. Where the two APIs give one schema name two meanings,
the refund API's keeps its role under a ``Refund`` prefix (``RefundChargingInformation``,
``RefundChargingMetaData``, ``RefundBasicEvent``, ``RefundCloudEvent``, ...).

The error responses are generated from one table per operation (``ERRORS``): for each status,
the ``code`` values the r3.2 document allows there; the surface's answers are checked against
this same table by the tests (``tests/camara``).
"""

from __future__ import annotations

from typing import Any

PAYMENTS_BASE = "/carrier-billing/v0.5"
REFUNDS_BASE = "/carrier-billing-refund/v0.3"
PAYMENT_STATUSES = [
    "processing", "pending_validation", "denied", "reserved", "succeeded", "cancelled",
]  # fmt: skip
REFUND_STATUSES = ["processing", "denied", "succeeded"]
PAYMENT_EVENT = "org.camaraproject.carrier-billing.v0.payment-"
REFUND_EVENT = "org.camaraproject.carrier-billing-refund.v0.refund-"
PAYMENT_EVENTS = ("pending-validation", "reserved", "completed", "cancelled", "denied")
REFUND_EVENTS = ("completed", "denied", "in-bill")

_GENERIC = {
    400: ["INVALID_ARGUMENT"], 401: ["UNAUTHENTICATED"], 403: ["PERMISSION_DENIED"],
    404: ["NOT_FOUND"], 409: ["ALREADY_EXISTS"], 429: ["TOO_MANY_REQUESTS"],
}  # fmt: skip
_SINK_400 = ["INVALID_ARGUMENT", "INVALID_CREDENTIAL", "INVALID_TOKEN", "INVALID_SINK"]
_PAY_403 = ["PERMISSION_DENIED", "CARRIER_BILLING.PAYMENT_DENIED"]
_PAY_422 = [
    "SERVICE_NOT_APPLICABLE", "MISSING_IDENTIFIER", "UNNECESSARY_IDENTIFIER",
    "CARRIER_BILLING.UNAUTHORIZED_AMOUNT", "CARRIER_BILLING.USER_AMOUNT_THRESHOLD_OVERPASSED",
]  # fmt: skip
_SECOND_422 = ["SERVICE_NOT_APPLICABLE", "MISSING_IDENTIFIER", "UNNECESSARY_IDENTIFIER"]
_STEP_409 = [
    "ALREADY_EXISTS",
    "CARRIER_BILLING.PAYMENT_CONFIRMED",
    "CARRIER_BILLING.PAYMENT_CANCELLED",
]
_LIST_400 = ["INVALID_ARGUMENT", "OUT_OF_RANGE"]

# operationId -> {status: allowed codes} (every operation also answers 401 and 429)
ERRORS: dict[str, dict[int, list[str]]] = {
    "createPayment": {400: _SINK_400, 403: _PAY_403, 404: ["IDENTIFIER_NOT_FOUND"],
                      409: ["ALREADY_EXISTS"], 422: _PAY_422},
    "retrievePayments": {400: _LIST_400 + ["CARRIER_BILLING.INVALID_DATE_RANGE",
                                           "CARRIER_BILLING.TOO_MANY_MATCHING_RECORDS"],
                         403: ["PERMISSION_DENIED"]},
    "retrievePayment": {400: ["INVALID_ARGUMENT"], 403: ["PERMISSION_DENIED"], 404: ["NOT_FOUND"]},
    "preparePayment": {400: _SINK_400, 403: _PAY_403, 404: ["IDENTIFIER_NOT_FOUND"],
                       409: ["ALREADY_EXISTS"], 422: _PAY_422},
    "validatePayment": {400: ["INVALID_ARGUMENT", "CARRIER_BILLING.INVALID_AUTHORIZATION_ID",
                              "CARRIER_BILLING.INVALID_CODE", "CARRIER_BILLING.VALIDATION_FAILED"],
                        403: ["PERMISSION_DENIED"], 404: ["NOT_FOUND"], 409: ["ALREADY_EXISTS"]},
    "confirmPayment": {400: ["INVALID_ARGUMENT"], 403: _PAY_403,
                       404: ["NOT_FOUND", "IDENTIFIER_NOT_FOUND"], 409: _STEP_409,
                       422: _SECOND_422},
    "cancelPayment": {400: ["INVALID_ARGUMENT"], 403: ["PERMISSION_DENIED"],
                      404: ["NOT_FOUND", "IDENTIFIER_NOT_FOUND"], 409: _STEP_409,
                      422: _SECOND_422},
    "createRefund": {400: _SINK_400,
                     403: ["PERMISSION_DENIED", "CARRIER_BILLING_REFUND.REFUND_DENIED",
                           "CARRIER_BILLING_REFUND.PAYMENT_NOT_ELIGIBLE_FOR_REFUND"],
                     404: ["NOT_FOUND"], 409: ["ALREADY_EXISTS"],
                     422: ["CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT",
                           "CARRIER_BILLING_REFUND.USER_AMOUNT_THRESHOLD_OVERPASSED",
                           "CARRIER_BILLING_REFUND.INVALID_PAYMENT_STATUS",
                           "CARRIER_BILLING_REFUND.TAXES_MANAGEMENT_MISMATCH",
                           "CARRIER_BILLING_REFUND.REFUND_DETAILS_MISMATCH"]},
    "retrieveRefunds": {400: _LIST_400 + ["CARRIER_BILLING_REFUND.INVALID_DATE_RANGE",
                                          "CARRIER_BILLING_REFUND.TOO_MANY_MATCHING_RECORDS"],
                        403: ["PERMISSION_DENIED"], 404: ["NOT_FOUND"]},
    "retrieveRefund": {400: ["INVALID_ARGUMENT"], 403: ["PERMISSION_DENIED"], 404: ["NOT_FOUND"]},
    "retrievePaymentRemainingAmount": {400: ["INVALID_ARGUMENT"], 403: ["PERMISSION_DENIED"],
                                       404: ["NOT_FOUND"]},
}  # fmt: skip
REFUND_OPERATIONS = frozenset(
    {"createRefund", "retrieveRefunds", "retrieveRefund", "retrievePaymentRemainingAmount"}
)

_E164 = r"^\+[1-9][0-9]{4,14}$"
_HTTPS = r"^https:\/\/.+$"
_RFC3339 = (
    "It must follow [RFC 3339](https://datatracker.ietf.org/doc/html/rfc3339#section-5.6) "
    "and must have time zone."
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _string(description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **more}


def _amount(description: str, minimum: float = 0.001) -> dict[str, Any]:
    return {"type": "number", "format": "float", "multipleOf": 0.001, "minimum": minimum,
            "description": description}  # fmt: skip


def _date(description: str) -> dict[str, Any]:
    return {"type": "string", "format": "date-time", "description": f"{description} {_RFC3339}"}


_PHONE = _string(
    "Identifies the mobile account to be charged, in international E.164 format prefixed "
    "with '+'. With a two-legged access token it MUST be provided.",
    pattern=_E164,
    example="+821012345678",
)
_SINK = _string("The address to which events shall be delivered, using the HTTP protocol.",
                format="uri", pattern=_HTTPS, example="https://endpoint.example.com/sink")  # fmt: skip
_SINK_CREDENTIAL = {"allOf": [{"description": "A sink credential provides authentication or "
                               "authorization information necessary to enable delivery of events "
                               "to a target."}, _ref("SinkCredential")]}  # fmt: skip
_CORRELATOR = _string(
    "Uniquely identifies this request: a retry with the same clientCorrelator and the same "
    "content returns the first outcome; other content is refused. This field SHOULD be present."
)
_REFERENCE = _string("Merchant generated reference to uniquely identify the request, for "
                     "instance in the case of disputes.")  # fmt: skip
_STATUS_TEXT = (
    "Specifies the payment status (`processing`, `pending_validation`, `denied`, `reserved`, "
    "`succeeded`, `cancelled`)."
)


def _credentials() -> dict[str, Any]:
    token_fields = {
        "accessToken": _string("REQUIRED. An access token is a previously acquired token "
                               "granting access to the target resource."),
        "accessTokenExpiresUtc": _date("REQUIRED. An absolute (UTC) timestamp at which the "
                                       "token shall be considered expired."),
        "accessTokenType": {"type": "string", "enum": ["bearer"],
                            "description": "REQUIRED. Type of the access token (RFC 6749 §7.1)."},
    }  # fmt: skip
    required = ["accessToken", "accessTokenExpiresUtc", "accessTokenType"]
    return {
        "SinkCredential": {
            "type": "object",
            "properties": {
                "credentialType": {
                    "type": "string",
                    "enum": ["PLAIN", "ACCESSTOKEN", "REFRESHTOKEN"],
                    "description": "The type of the credential. Only `ACCESSTOKEN` is supported so far.",
                }
            },  # fmt: skip
            "discriminator": {
                "propertyName": "credentialType",
                "mapping": {
                    "PLAIN": "#/components/schemas/PlainCredential",
                    "ACCESSTOKEN": "#/components/schemas/AccessTokenCredential",
                    "REFRESHTOKEN": "#/components/schemas/RefreshTokenCredential",
                },
            },  # fmt: skip
            "required": ["credentialType"],
        },
        "PlainCredential": {
            "type": "object",
            "description": "A plain credential.",
            "allOf": [
                _ref("SinkCredential"),
                {
                    "type": "object",
                    "required": ["identifier", "secret"],
                    "properties": {
                        "identifier": _string("The identifier might be an account or username."),
                        "secret": _string("The secret might be a password or passphrase."),
                    },
                },
            ],
        },  # fmt: skip
        "AccessTokenCredential": {
            "type": "object",
            "description": "An access token credential.",
            "allOf": [
                _ref("SinkCredential"),
                {"type": "object", "properties": token_fields, "required": required},
            ],
        },  # fmt: skip
        "RefreshTokenCredential": {
            "type": "object",
            "description": "An access token credential with a refresh token.",
            "allOf": [
                _ref("SinkCredential"),
                {
                    "type": "object",
                    "properties": {
                        **token_fields,
                        "refreshToken": _string("REQUIRED. A refresh token credential."),
                        "refreshTokenEndpoint": _string(
                            "REQUIRED. Where the refresh token is traded.", format="uri"
                        ),
                    },
                },
            ],
            "required": required + ["refreshToken", "refreshTokenEndpoint"],
        },  # fmt: skip
    }


def _charging(prefix: str, what: str) -> dict[str, Any]:
    taxes = {
        "isTaxIncluded": {"type": "boolean", "default": False, "description":
                          "If true, the `amount` is tax included, if false without tax."},
        "taxAmount": {**_amount("The tax amount. Indicated when the merchant is the one "
                                "applying taxes.", 0)},
    }  # fmt: skip
    return {
        f"{prefix}ChargingInformation": {
            "type": "object",
            "required": ["amount", "currency", "description"],
            "properties": {
                "amount": _amount(f"Amount to be {what}."),
                "currency": _string("Currency code (ISO 4217).", example="KRW"),
                "description": _string(
                    "Description text to be used for information and billing text"
                ),
                **taxes,
            },
        },  # fmt: skip
        f"{prefix}Item": {
            "type": "object",
            "required": ["paymentItemId" if prefix else "id", "amount", "currency", "description"],
            "properties": {
                ("paymentItemId" if prefix else "id"): _string("Payment item identifier."),
                "amount": _amount(f"Specific amount to be {what} for this item."),
                "currency": _string("Currency code (ISO 4217)."),
                "description": _string("Description of this item."),
                **taxes,
            },
        },  # fmt: skip
    }


def schemas() -> dict[str, Any]:
    s: dict[str, Any] = {
        "XCorrelator": {"type": "string", "pattern": r"^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$",
                        "example": "b4333c46-49c0-4f62-80d7-f0ef930f1c46"},
        "ErrorInfo": {"type": "object", "required": ["message", "status", "code"], "properties": {
            "message": _string("A human-readable description of what the event represents"),
            "status": {"type": "integer", "description": "HTTP response status code"},
            "code": _string("A human-readable code to describe the error"),
        }},
        "DateTime": _date("Timestamp when the occurrence happened."),
        "Source": {"type": "string", "format": "uri-reference", "minLength": 1,
                   "description": "Identifies the context in which an event happened."},
        **_credentials(),
        **_charging("", "charged or reserved"),
        "ChargingMetaData": {"type": "object", "properties": {
            "merchantName": _string("Indicates the merchant name."),
            "merchantIdentifier": _string("Indicates the merchant identifier."),
            "fee": {"type": "number", "format": "float", "multipleOf": 0.01,
                    "description": "Percentage of the amount to be received by the requester"},
            "purchaseCategoryCode": _string("A category of the service, product or media."),
            "channel": _string("The channel over which the requester interacts."),
            "serviceId": _string("The identifier of the partner/merchant service."),
            "productId": _string("The product identifier within `serviceId`."),
        }},
        "PaymentDetails": {"type": "array", "minItems": 1, "items": _ref("PaymentItem"),
                           "description": "The concepts/items of a payment."},
        "PaymentItem": "Item",
        "PaymentAmountForCharge": {"type": "object", "required": ["chargingInformation"],
                                   "properties": {
                                       "chargingInformation": _ref("ChargingInformation"),
                                       "chargingMetaData": _ref("ChargingMetaData"),
                                       "paymentDetails": _ref("PaymentDetails")}},
        "PaymentAmountForReserve": "PaymentAmountForCharge",
        "AmountTransactionInput": {"type": "object", "required": ["paymentAmount", "referenceCode"],
                                   "properties": {
                                       "phoneNumber": _PHONE, "clientCorrelator": _CORRELATOR,
                                       "paymentAmount": _ref("PaymentAmountForCharge"),
                                       "referenceCode": _REFERENCE}},
        "AmountTransaction": {"type": "object",
                              "required": ["phoneNumber", "paymentAmount", "referenceCode"],
                              "properties": {
                                  "phoneNumber": _PHONE, "clientCorrelator": _CORRELATOR,
                                  "paymentAmount": _ref("PaymentAmountForCharge"),
                                  "referenceCode": _REFERENCE,
                                  "resourceURL": _string("URI of the created resource"),
                                  "serverReferenceCode": _string(
                                      "Reference to the charge, provided by the server, for "
                                      "reconciliation (the ledger's transaction id).")}},
        "AmountReservationTransactionForReserveInput": {
            "type": "object", "required": ["paymentAmount", "referenceCode"], "properties": {
                "phoneNumber": _PHONE, "clientCorrelator": _CORRELATOR,
                "paymentAmount": _ref("PaymentAmountForReserve"), "referenceCode": _REFERENCE}},
        "AmountReservationTransactionForReserve": {
            "type": "object", "required": ["phoneNumber", "paymentAmount", "referenceCode"],
            "properties": {
                "phoneNumber": _PHONE, "clientCorrelator": _CORRELATOR,
                "paymentAmount": _ref("PaymentAmountForReserve"), "referenceCode": _REFERENCE,
                "resourceURL": _string("URI of the created resource"),
                "serverReferenceCode": _string("Reference provided by the server.")}},
        "CreatePayment": {"type": "object", "required": ["amountTransaction"], "properties": {
            "amountTransaction": _ref("AmountTransactionInput"), "sink": _SINK,
            "sinkCredential": _SINK_CREDENTIAL}},
        "BodyAmountReservationTransactionForReserveInput": {
            "type": "object", "required": ["amountTransaction"], "properties": {
                "amountTransaction": _ref("AmountReservationTransactionForReserveInput"),
                "sink": _SINK, "sinkCredential": _SINK_CREDENTIAL}},
        "PaymentCreated": "Payment",
        "Payment": {"type": "object",
                    "required": ["amountTransaction", "paymentId", "paymentStatus",
                                 "paymentCreationDate"],
                    "properties": {
                        "paymentId": _string("Unique Identifier of the payment"),
                        "amountTransaction": _ref("AmountTransaction"),
                        "paymentStatus": _string(_STATUS_TEXT),
                        "paymentCreationDate": _date("Date time when the payment is created in "
                                                     "server database."),
                        "paymentDate": _date("Date time when the payment is effectively "
                                             "performed."),
                        "sink": _SINK}},
        "PaymentArray": {"type": "array", "minItems": 0, "items": _ref("Payment"),
                         "description": "A list of payment(s)"},
        "BodyAmountReservationTransactionForReserve": {
            "type": "object",
            "required": ["amountTransaction", "paymentId", "paymentStatus", "paymentCreationDate"],
            "properties": {
                "paymentId": _string("Unique Identifier of the payment"),
                "amountTransaction": _ref("AmountReservationTransactionForReserve"),
                "paymentStatus": _string(_STATUS_TEXT),
                "paymentCreationDate": _date("Date time when the payment is created."),
                "validationInfo": {"allOf": [_ref("ValidationInfo"), {
                    "description": "Information to perform otp validation."}]},
                "sink": _SINK}},
        "PhoneNumber": {"type": "object", "properties": {"phoneNumber": _PHONE}},
        "ValidatePayment": {"type": "object", "required": ["authorizationId", "code"],
                            "properties": {
                                "authorizationId": _string("Unique authorization identifier "
                                                           "for a specific payment."),
                                "code": _string("Code received via SMS.", example="352673")}},
        "ValidationInfo": {"type": "object", "required": ["action"], "properties": {
            "action": {"type": "string", "enum": ["open", "validate"],
                       "description": "Action to be done regarding otp validation."}},
            "discriminator": {"propertyName": "action", "mapping": {
                "open": "#/components/schemas/Open",
                "validate": "#/components/schemas/Validate"}}},
        "Open": {"allOf": [_ref("ValidationInfo"), {"type": "object",
                                                    "required": ["validationURL"],
                                                    "properties": {"validationURL": _string(
                                                        "Public URL to perform otp validation.")}}]},
        "Validate": {"allOf": [_ref("ValidationInfo"), {"type": "object",
                                                        "required": ["authorizationId"],
                                                        "properties": {"authorizationId": _string(
                                                            "Identifier to give to validatePayment "
                                                            "with the code.")}}]},
        "BasicEvent": {"type": "object", "required": ["paymentId", "status", "description"],
                       "properties": {
                           "paymentId": _string("Unique Identifier of the payment"),
                           "status": {"type": "string", "enum": ["succeeded", "failed"],
                                      "description": "Status of the procedure."},
                           "description": _string("Description of the notification.")}},
        "CloudEvent": _cloud_event(PAYMENT_EVENT, PAYMENT_EVENTS, "Event"),
    }  # fmt: skip
    for kind in PAYMENT_EVENTS:
        name = "Payment" + "".join(w.title() for w in kind.split("-"))
        extra: list[dict[str, Any]] = []
        if kind == "completed":
            extra = [
                {
                    "type": "object",
                    "required": ["paymentDate"],
                    "properties": {
                        "paymentDate": _date("Date when the payment is effectively performed.")
                    },
                }
            ]
        if kind == "denied":
            extra = [
                {
                    "type": "object",
                    "properties": {
                        "denialReason": _string(
                            "Indicates the business reason for denying the payment."
                        )
                    },
                }
            ]
        s[name] = {"allOf": [{"description": f"Event detail of {PAYMENT_EVENT}{kind}"},
                             _ref("BasicEvent"), *extra]}  # fmt: skip
        s["Event" + name] = {
            "description": f"Event structure for payment {kind}",
            "allOf": [_ref("CloudEvent"), {"type": "object", "properties": {"data": _ref(name)}}],
        }
    s.update(_refund_schemas())
    # aliases: the same shape under both of the r3.2 names
    for name, target in list(s.items()):
        if isinstance(target, str):
            s[name] = _ref(target) if target != "Item" else s.pop("Item")
    s["PaymentItem"] = s.get("PaymentItem") or s["Item"]
    s.pop("Item", None)
    return s


def _cloud_event(prefix: str, kinds: tuple[str, ...], event_prefix: str) -> dict[str, Any]:
    word = "Payment" if "carrier-billing." in prefix else "Refund"
    return {
        "description": "The notification format",
        "required": ["id", "source", "specversion", "type", "time"],
        "properties": {
            "id": {"type": "string", "minLength": 1,
                   "description": "Identifier of this event, unique in the source context."},
            "source": _ref("Source"),
            "type": {"type": "string", "minLength": 25, "description": "Type of event"},
            "specversion": {"type": "string", "minLength": 3, "description": "1.0"},
            "datacontenttype": {"type": "string", "description": "application/json"},
            "data": {"type": "object", "description": "Event details payload"},
            "time": _ref("DateTime"),
        },
        "discriminator": {"propertyName": "type", "mapping": {
            prefix + k: f"#/components/schemas/{event_prefix}{word}"
                        + "".join(w.title() for w in k.split("-"))
            for k in kinds}},
    }  # fmt: skip


def _refund_schemas() -> dict[str, Any]:
    s: dict[str, Any] = {
        **_charging("Refund", "refunded"),
        "RefundChargingMetaData": {"type": "object", "properties": {
            "merchantIdentifier": _string("Indicates the merchant identifier.")}},
        "RefundDetails": {"type": "array", "minItems": 1, "items": _ref("RefundItem"),
                          "description": "The concepts/items of a refund."},
        "CreateRefund": {"type": "object", "required": ["type"],
                         "description": "Information to create a Refund resource.",
                         "properties": {
                             "type": {"type": "string", "enum": ["total", "partial"],
                                      "description": "Type of refund."},
                             "reason": _string("Reason provided to request the refund."),
                             "sink": _SINK, "sinkCredential": _SINK_CREDENTIAL},
                         "discriminator": {"propertyName": "type", "mapping": {
                             "total": "#/components/schemas/CreateTotalRefund",
                             "partial": "#/components/schemas/CreatePartialRefund"}}},
        "CreateTotalRefund": {"allOf": [_ref("CreateRefund"), {
            "type": "object", "required": ["amountTransaction"],
            "properties": {"amountTransaction": _ref("AmountTransactionTotalRefund")}}]},
        "CreatePartialRefund": {"allOf": [_ref("CreateRefund"), {
            "type": "object", "required": ["amountTransaction"],
            "properties": {"amountTransaction": _ref("AmountTransactionPartialRefund")}}]},
        "Refund": {"type": "object",
                   "required": ["refundId", "refundStatus", "refundCreationDate", "type"],
                   "description": "Information about a Refund resource.",
                   "properties": {
                       "refundId": _string("Unique Identifier of the refund"),
                       "refundStatus": _string("Specifies the refund status (`processing`, "
                                               "`denied`, `succeeded`)."),
                       "type": {"type": "string", "enum": ["total", "partial"]},
                       "refundCreationDate": _date("Date time when the refund is created."),
                       "refundDate": _date("Date time when the refund is performed."),
                       "reason": _string("Reason provided to request the refund."),
                       "sink": _SINK},
                   "discriminator": {"propertyName": "type", "mapping": {
                       "total": "#/components/schemas/TotalRefund",
                       "partial": "#/components/schemas/PartialRefund"}}},
        "TotalRefund": {"allOf": [_ref("Refund"), {
            "type": "object", "required": ["amountTransaction"],
            "properties": {"amountTransaction": _ref("AmountTransactionTotalRefund")}}]},
        "PartialRefund": {"allOf": [_ref("Refund"), {
            "type": "object", "required": ["amountTransaction"],
            "properties": {"amountTransaction": _ref("AmountTransactionPartialRefund")}}]},
        "AmountTransactionTotalRefund": {"type": "object",
                                         "required": ["refundAmount", "referenceCode"],
                                         "properties": {
                                             "clientCorrelator": _CORRELATOR,
                                             "refundAmount": _ref("RefundAmountTotalRefund"),
                                             "referenceCode": _REFERENCE}},
        "RefundAmountTotalRefund": {"type": "object", "description": "A `total` refund: the "
                                    "whole remaining amount.", "properties": {
                                        "chargingMetaData": _ref("RefundChargingMetaData")}},
        "AmountTransactionPartialRefund": {"type": "object",
                                           "required": ["refundAmount", "referenceCode"],
                                           "properties": {
                                               "clientCorrelator": _CORRELATOR,
                                               "refundAmount": _ref("RefundAmountPartialRefund"),
                                               "referenceCode": _REFERENCE}},
        "RefundAmountPartialRefund": {"type": "object", "required": ["chargingInformation"],
                                      "properties": {
                                          "chargingInformation": _ref("RefundChargingInformation"),
                                          "chargingMetaData": _ref("RefundChargingMetaData"),
                                          "refundDetails": _ref("RefundDetails")}},
        "RefundArray": {"type": "array", "minItems": 0, "items": _ref("Refund"),
                        "description": "A list of refund(s)"},
        "PaymentRemainingAmount": {"type": "object", "required": ["amount", "currency"],
                                   "description": "Remaining amount of a payment not refunded yet.",
                                   "properties": {
                                       "amount": _amount("Amount not yet refunded.", 0),
                                       "currency": _string("Currency code (ISO 4217)."),
                                       "description": _string("Description of this amount."),
                                       "isTaxIncluded": {"type": "boolean", "default": False},
                                       "taxAmount": _amount("The tax amount.", 0)}},
        "RefundBasicEvent": {"type": "object",
                             "required": ["paymentId", "refundId", "status", "description"],
                             "properties": {
                                 "paymentId": _string("Unique Identifier of the payment"),
                                 "refundId": _string("Unique Identifier of the refund"),
                                 "status": {"type": "string", "enum": ["succeeded", "failed"]},
                                 "description": _string("Description of the notification.")}},
        "RefundCloudEvent": _cloud_event(REFUND_EVENT, REFUND_EVENTS, "Event"),
    }  # fmt: skip
    s["RefundItem"] = s.pop("RefundItem")
    for kind in REFUND_EVENTS:
        name = "Refund" + "".join(w.title() for w in kind.split("-"))
        extra: list[dict[str, Any]] = []
        if kind == "completed":
            extra = [
                {
                    "type": "object",
                    "required": ["refundDate"],
                    "properties": {
                        "refundDate": _date("Date when the refund is effectively performed.")
                    },
                }
            ]
        if kind == "denied":
            extra = [
                {
                    "type": "object",
                    "properties": {
                        "denialReason": _string(
                            "Indicates the business reason for denying the refund."
                        )
                    },
                }
            ]
        s[name] = {"allOf": [{"description": f"Event detail of {REFUND_EVENT}{kind}"},
                             _ref("RefundBasicEvent"), *extra]}  # fmt: skip
        s["Event" + name] = {
            "description": f"Event structure for refund {kind}",
            "allOf": [
                _ref("RefundCloudEvent"),
                {"type": "object", "properties": {"data": _ref(name)}},
            ],
        }
    return s


def _error_response(status: int, codes: list[str]) -> dict[str, Any]:
    return {
        "description": {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
                        404: "Not Found", 409: "Conflict", 422: "Unprocessable Content",
                        429: "Too Many Requests"}[status],  # fmt: skip
        "headers": {"x-correlator": {"$ref": "#/components/headers/x-correlator"}},
        "content": {"application/json": {"schema": {"allOf": [
            _ref("ErrorInfo"),
            {"type": "object", "properties": {"status": {"enum": [status]},
                                              "code": {"enum": codes}}},
        ]}}},
    }  # fmt: skip


_CORRELATOR_PARAM = {"$ref": "#/components/parameters/x-correlator"}
_CORRELATOR_HEADER = {"x-correlator": {"$ref": "#/components/headers/x-correlator"}}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}  # fmt: skip


def _operation(
    operation_id: str, tag: str, scope: str, summary: str, ok: int, ok_schema: str | None,
    *, params: list[dict[str, Any]] = (), body: str | None = None, paging: bool = False,
    callback: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    headers: dict[str, Any] = dict(_CORRELATOR_HEADER)
    if paging:
        headers["Content-Last-Key"] = {"$ref": "#/components/headers/Content-Last-Key"}
        headers["X-Total-Count"] = {"$ref": "#/components/headers/X-Total-Count"}
    success: dict[str, Any] = {"description": "OK" if ok == 200 else "Accepted/Created",
                               "headers": headers}  # fmt: skip
    if ok_schema is not None:
        success["content"] = {"application/json": {"schema": _ref(ok_schema)}}
    errors = {401: _GENERIC[401], 429: _GENERIC[429], **ERRORS[operation_id]}
    op: dict[str, Any] = {
        "operationId": operation_id, "tags": [tag], "summary": summary,
        "security": [{"openId": [scope]}],
        "parameters": [*params, _CORRELATOR_PARAM],
        "responses": {str(ok): success, **{str(status): _error_response(status, codes)
                                            for status, codes in sorted(errors.items())}},
    }  # fmt: skip
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if callback is not None:
        op["callbacks"] = {"notifications": {"{$request.body#/sink}": {"post": {
            "operationId": f"{operation_id}Notification",
            "security": [{}, {"notificationsBearerAuth": []}],
            "requestBody": {"required": True, "content": {
                "application/cloudevents+json": {"schema": _ref(callback)}}},
            "responses": {"204": {"description": "Successful notification"}},
        }}}}  # fmt: skip
    return op


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}  # fmt: skip


def _list_params(what: str, statuses: list[str]) -> list[dict[str, Any]]:
    return [
        {"$ref": "#/components/parameters/Page"},
        {"$ref": "#/components/parameters/PerPage"},
        _query(f"{what}CreationDate.gte", {"type": "string", "format": "date-time"},
               f"Initial `{what}CreationDate` for running the query. {_RFC3339}"),
        _query(f"{what}CreationDate.lte", {"type": "string", "format": "date-time"},
               f"End `{what}CreationDate` for running the query. {_RFC3339}"),
        _query("order", {"type": "string", "enum": ["desc", "asc"], "default": "desc"},
               f"Sorted by `{what}CreationDate`, descending (default) or ascending"),
        _query(f"{what}Status", {"type": "array", "items": {"type": "string", "enum": statuses}},
               f"List of {what} status to be considered for the query"),
        _query("merchantIdentifier", {"type": "string"}, "Merchant identifier to filter by"),
    ]  # fmt: skip


def document(server_url: str = "", discovery_url: str = "") -> dict[str, Any]:
    """The whole document; ``server_url`` is this gateway's base URL (``https://host:port``)."""
    pay, ref = PAYMENTS_BASE, REFUNDS_BASE
    payment_id = _path_param("paymentId", "Payment identifier")
    refund_id = _path_param("refundId", "Refund identifier")
    w, r, c = "carrier-billing:payments:write", "carrier-billing:payments:read", \
        "carrier-billing:payments:create"  # fmt: skip
    paths = {
        f"{pay}/payments": {
            "post": _operation("createPayment", "One Step Payment", c, "Create a new Payment",
                               201, "PaymentCreated", body="CreatePayment", callback="CloudEvent"),
            "get": _operation("retrievePayments", "Payment", r, "Get a list of payments", 200,
                              "PaymentArray", params=_list_params("payment", PAYMENT_STATUSES),
                              paging=True),
        },
        f"{pay}/payments/{{paymentId}}": {"get": _operation(
            "retrievePayment", "Payment", r, "Get payment details", 200, "Payment",
            params=[payment_id])},
        f"{pay}/payments/prepare": {"post": _operation(
            "preparePayment", "Two Step Payment", c, "Prepare (reserve) a payment", 201,
            "BodyAmountReservationTransactionForReserve",
            body="BodyAmountReservationTransactionForReserveInput", callback="CloudEvent")},
        f"{pay}/payments/{{paymentId}}/validate": {"post": _operation(
            "validatePayment", "Two Step Payment", w, "Validate a payment", 204, None,
            params=[payment_id], body="ValidatePayment")},
        f"{pay}/payments/{{paymentId}}/confirm": {"post": _operation(
            "confirmPayment", "Two Step Payment", w, "Confirm a payment", 202, None,
            params=[payment_id], body="PhoneNumber")},
        f"{pay}/payments/{{paymentId}}/cancel": {"post": _operation(
            "cancelPayment", "Two Step Payment", w, "Cancel a payment", 202, None,
            params=[payment_id], body="PhoneNumber")},
        f"{ref}/payments/{{paymentId}}/refunds": {
            "post": _operation("createRefund", "Refund", "carrier-billing-refund:refunds:create",
                               "Create a new Refund", 201, "Refund", params=[payment_id],
                               body="CreateRefund", callback="RefundCloudEvent"),
            "get": _operation("retrieveRefunds", "Refund", "carrier-billing-refund:refunds:read",
                              "Get a list of refunds", 200, "RefundArray",
                              params=[payment_id, *_list_params("refund", REFUND_STATUSES)],
                              paging=True),
        },
        f"{ref}/payments/{{paymentId}}/refunds/{{refundId}}": {"get": _operation(
            "retrieveRefund", "Refund", "carrier-billing-refund:refunds:read",
            "Get refund details", 200, "Refund", params=[payment_id, refund_id])},
        f"{ref}/payments/{{paymentId}}/refunds/remaining-amount": {"get": _operation(
            "retrievePaymentRemainingAmount", "Refund", "carrier-billing-refund:refunds:read",
            "Get remaining amount not refunded for a given payment", 200,
            "PaymentRemainingAmount", params=[payment_id])},
    }  # fmt: skip
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "micropay Carrier Billing (CAMARA r3.2)",
            "version": "0.5.0+0.3.0",
            "description": (
                "CAMARA Carrier Billing v0.5.0 and Carrier Billing Refund v0.3.0 (release r3.2) "
                "as micropay serves them, one document for both APIs. Two-legged access tokens "
                "(OAuth 2.0 client credentials, private_key_jwt client authentication with the "
                "application's registered key): `phoneNumber` MUST be given. Payments above the "
                "account's one-time-code threshold are prepared (`pending_validation`) and "
                "validated with the code the subscriber receives by SMS."
            ),
            "license": {
                "name": "Apache 2.0",
                "url": "https://www.apache.org/licenses/LICENSE-2.0.html",
            },
            "x-camara-commonalities": "0.6",
        },  # fmt: skip
        "servers": [{"url": server_url or "/"}],
        "tags": [
            {"name": t} for t in ("One Step Payment", "Two Step Payment", "Payment", "Refund")
        ],  # fmt: skip
        "paths": paths,
        "components": {
            "securitySchemes": {
                "openId": {
                    "type": "openIdConnect",
                    "openIdConnectUrl": discovery_url or "/.well-known/openid-configuration",
                },
                "notificationsBearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "{$request.body#/sinkCredential.credentialType}",
                },
            },  # fmt: skip
            "schemas": schemas(),
            "parameters": {
                "x-correlator": {
                    "name": "x-correlator",
                    "in": "header",
                    "description": "Correlation id for the different services",
                    "schema": _ref("XCorrelator"),
                },
                "Page": _query(
                    "page",
                    {"type": "integer", "default": 1},
                    "Requested index to indicate the start of the resources",
                ),
                "PerPage": _query(
                    "perPage",
                    {"type": "integer", "default": 10},
                    "Requested number of resources to be provided in response",
                ),
            },  # fmt: skip
            "headers": {
                "x-correlator": {
                    "description": "Correlation id for the different services",
                    "schema": _ref("XCorrelator"),
                },
                "Content-Last-Key": {
                    "description": "Indicates the index of the last result "
                    "provided in the response",
                    "schema": {"type": "integer"},
                },
                "X-Total-Count": {
                    "description": "Total number of items matching criteria",
                    "schema": {"type": "integer"},
                },
            },  # fmt: skip
        },
    }
