"""Notebook launcher: papermill on a (usually pre-started) kernel, per-cell progress, HTML output.

The kernel comes from the job process's warm pool slot: we hand papermill our KernelManager
(nbclient reuses a km that already has a kernel and does not shut it down), after running a setup
snippet in it that moves it to the job's working folder and environment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from papermill.engines import NBClientEngine, papermill_engines

ENGINE_NAME = "studio"
DEFAULT_KERNEL = "python3"

ProgressCallback = Callable[[str, int, Any], None]  # (event "start"|"complete", cell index, cell)


class ProgressEngine(NBClientEngine):
    """NBClientEngine that reports cell start/complete to a callback (papermill calls both hooks on
    the execution manager for every cell, code or not)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        callback: ProgressCallback | None = kwargs.pop("studio_progress", None)
        if callback is not None:
            start, complete = nb_man.cell_start, nb_man.cell_complete

            def cell_start(cell, cell_index=None, **kw):
                callback("start", cell_index, cell)
                return start(cell, cell_index, **kw)

            def cell_complete(cell, cell_index=None, **kw):
                result = complete(cell, cell_index, **kw)
                callback("complete", cell_index, cell)
                return result

            nb_man.cell_start, nb_man.cell_complete = cell_start, cell_complete
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)


papermill_engines.register(ENGINE_NAME, ProgressEngine)


def start_kernel(kernel_name: str = DEFAULT_KERNEL, cwd: str | None = None, wait: bool = True):
    """A started AsyncKernelManager. With wait=False it returns as soon as the kernel process is
    launched, so the kernel boots while the caller does other work (setup_kernel waits for it).

    NB: it must be the async manager. nbclient given a blocking km gets a blocking client whose
    get_msg(timeout=None) blocks its event loop, so it never notices a kernel we had to kill (memory
    limit, timeout) and the job hangs.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name=kernel_name)
    run_sync(km.start_kernel)(cwd=cwd)
    if wait:
        run_sync(_wait_ready)(km)
    return km


async def _wait_ready(km, code: str | None = None) -> None:
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=120)
        if code is not None:
            reply = await kc.execute_interactive(code, silent=True, store_history=False, timeout=60)
            if reply["content"].get("status") != "ok":
                raise RuntimeError(f"kernel setup failed: {reply['content'].get('evalue')}")
    finally:
        kc.stop_channels()


def shutdown_kernel(km) -> None:
    from jupyter_core.utils import run_sync

    run_sync(km.shutdown_kernel)(now=True)


def kernel_pid(km) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    return getattr(process, "pid", None)


def setup_kernel(km, working_dir: str, environment: dict[str, str]) -> None:
    """Run the job's setup in the kernel without leaving names in the user's namespace."""
    from jupyter_core.utils import run_sync

    code = (
        f"(lambda os: (os.chdir({json.dumps(working_dir)}), os.environ.update({json.dumps(environment)})))"
        "(__import__('os'))"
    )
    run_sync(_wait_ready)(km, code)


def notebook_kernel_name(nb) -> str:
    return (nb.metadata.get("kernelspec") or {}).get("name") or DEFAULT_KERNEL


def execute(input_path: Path, output_path: Path, parameters: dict[str, Any], km, log_file,
            progress: ProgressCallback) -> None:
    """Run the notebook; raises PapermillExecutionError naming the failing cell."""
    import papermill

    papermill.execute_notebook(
        str(input_path), str(output_path), parameters=parameters or None, engine_name=ENGINE_NAME,
        kernel_name=km.kernel_name, progress_bar=False, log_output=False, stdout_file=log_file,
        stderr_file=log_file, request_save_on_cell_execute=True, km=km, studio_progress=progress,
    )


_exporter = None


def render_html(notebook_path: Path, html_path: Path) -> None:
    global _exporter
    import nbformat
    from nbconvert import HTMLExporter

    if _exporter is None:  # template loading is the slow part: keep one per job process
        _exporter = HTMLExporter()
    body, _resources = _exporter.from_notebook_node(nbformat.read(str(notebook_path), as_version=4))
    html_path.write_text(body, encoding="utf-8")


def warm_up() -> None:
    """Import and initialise what every notebook job needs, before any job arrives."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1")]
    global _exporter
    from nbconvert import HTMLExporter

    _exporter = HTMLExporter()
    _exporter.from_notebook_node(nb)
