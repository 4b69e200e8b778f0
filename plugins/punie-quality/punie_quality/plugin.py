"""punie-quality plugin entry module."""
