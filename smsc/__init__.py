"""smsc."""
