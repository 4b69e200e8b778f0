"""punie-svcs."""
