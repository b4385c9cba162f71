"""Bringwise content pipeline: topics spreadsheet in, static site of pair pages out."""

__version__ = "0.1.0"
