"""Everything a page says: language, wording, page contexts, proofreading, structured data."""
