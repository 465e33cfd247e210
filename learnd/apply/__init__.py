"""``learnd apply``: a reviewed plan's ticked items, as a draft docs PR."""
