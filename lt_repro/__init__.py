"""lt_repro: reproducibility suite for long-tailed recognition losses."""
