"""The learnd daemon: GitHub pollers, the spool of hook requests, the run queue's
worker pool, and housekeeping."""
