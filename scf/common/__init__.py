"""What the SCF servants and the gRPC shim share, transport-free: the one fault table
(``faults``), Parlay X addresses (``address``), exact amounts (``amounts``), ChargingInformation
(``charging_information``) and the optional-parameter rule (``optional``)."""
