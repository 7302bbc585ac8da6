"""The OSA/Parlay Framework (TS 29.198-3): trust and security, access, discovery, service agreements."""
