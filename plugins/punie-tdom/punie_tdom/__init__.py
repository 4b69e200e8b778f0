"""punie-tdom."""
