"""micropay."""
