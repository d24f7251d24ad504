"""Executors: where job processes run (`local`: detached subprocesses with CPU/memory limits)."""
