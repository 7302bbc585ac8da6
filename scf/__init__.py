"""The open service gateway: Payment, Account Management and SMS SCFs (domain service + servant each)."""
