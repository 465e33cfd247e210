"""Indexing a repository's markdown docs and checking them against a change."""
