"""Pure analysis of code changes: no processes, no git, only text in and facts out."""
