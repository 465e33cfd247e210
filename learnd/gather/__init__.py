"""Gathering a run's inputs: which merge, which PR, the diff and the docs index."""
