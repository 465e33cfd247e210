"""Agent sessions: parsing Claude Code and Codex transcripts, and what they teach.

A transcript is read once, line by line, into normalized events (redacted and
truncated); the same events feed both the digest kept in the run directory and
the friction analysis, so facts computed from the digest equal the facts
computed from the transcript, long after Claude Code has deleted it.
"""
