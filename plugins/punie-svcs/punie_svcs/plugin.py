"""punie-svcs plugin entry module."""
