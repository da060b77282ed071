"""finpolicy testing."""
