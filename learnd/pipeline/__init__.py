"""The four-tier learn pipeline: run directory, sentinel protocol, launcher, waiter, runner."""
