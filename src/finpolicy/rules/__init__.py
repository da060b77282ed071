"""finpolicy rules."""
