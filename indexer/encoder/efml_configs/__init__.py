"""Copies of the model configs bundled with ElmoForManyLangs, used when a folder lacks its own."""
