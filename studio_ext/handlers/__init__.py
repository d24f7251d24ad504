"""The thin REST layer under /studio/api/: parse, authorize, call a service, answer JSON."""
