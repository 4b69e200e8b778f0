"""punie-tdom plugin entry module."""
