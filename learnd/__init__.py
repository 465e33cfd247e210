"""learnd: turn every merged pull request into a reviewable documentation learn plan."""

__version__ = "0.1.0"
