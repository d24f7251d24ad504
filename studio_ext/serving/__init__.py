"""Endpoint serving: the lean scoring server each replica runs (`python -m studio_ext.serving`)."""
