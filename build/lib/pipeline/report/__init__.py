"""The SEO review report: HTML and CSV written from an audit result (review.py)."""
