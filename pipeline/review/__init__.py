"""The local review app (`python -m pipeline review`, `make review`)."""
