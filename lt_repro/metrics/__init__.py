"""Evaluation metrics: flat dicts with the unit in each key."""
