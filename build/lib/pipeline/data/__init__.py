"""Loading, validating and joining the content team's data."""
