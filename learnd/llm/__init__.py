"""LLM engines: model calls, and the checks their outputs pass before use."""
