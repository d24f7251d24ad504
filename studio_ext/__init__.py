"""studio_ext: a local-first machine-learning studio inside JupyterLab."""

__version__ = "0.1.0"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "studio_ext"}]


def _jupyter_server_extension_points():
    # Imported lazily so `import studio_ext` stays cheap for the agent, job processes and the CLI.
    from .app import StudioApp

    return [{"module": "studio_ext", "app": StudioApp}]
