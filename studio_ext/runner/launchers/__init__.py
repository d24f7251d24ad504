"""Launchers: how one job kind runs inside a job process (papermill notebook, user script)."""
