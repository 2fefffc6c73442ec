"""Datasets, downloads and long-tailed protocols."""
