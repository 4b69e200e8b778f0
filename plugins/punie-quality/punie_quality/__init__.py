"""punie-quality."""
