"""punie-quality: ruff, ty and pytest as typed tools the model reads field by field."""
