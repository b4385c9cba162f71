"""Rendering, writing and the incremental state of the built site."""
