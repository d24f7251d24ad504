"""Notebook launcher: papermill on a (usually pre-started) kernel, per-cell progress, HTML output.

The kernel is the job process's: started by `warm_up` while the job process waits in the pool,
handed to papermill as our KernelManager (nbclient reuses a km that already has a kernel and does
not shut it down), after a setup snippet moved it to the job's working folder and environment.
"""

from __future__ import annotations

import json
import os
import signal
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from papermill.engines import NBClientEngine, papermill_engines

from ...paths import OUTPUT_HTML, OUTPUT_NOTEBOOK
from ...schemas import JobKind, JobStatus
from ...settings import StudioSettings
from .. import resources
from .base import Attempt, BaseLauncher, Outcome

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


def warm_up_exporter() -> None:
    """Import and initialise what rendering every notebook job needs, before any job arrives."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1")]
    global _exporter
    from nbconvert import HTMLExporter

    _exporter = HTMLExporter()
    _exporter.from_notebook_node(nb)


class NotebookLauncher(BaseLauncher):
    """One attempt consumes the kernel (the user's state lives in it), hence not reusable."""

    kind = JobKind.NOTEBOOK
    reusable = False

    def __init__(self, settings: StudioSettings) -> None:
        super().__init__(settings)
        self.km: Any = None  # jupyter_client's AsyncKernelManager
        self.nb: Any = None  # the attempt's notebook, read by prepare
        self._kpid: int | None = None
        self._failure: str | None = None

    def warm_up(self) -> None:
        # The kernel first, so that it boots while we import; prepare() waits for it.
        self.km = start_kernel(cwd=str(self.settings.home), wait=False)
        warm_up_exporter()

    def prepare(self, attempt: Attempt) -> None:
        import nbformat

        self._failure = None
        job = attempt.job
        self.nb = nbformat.read(str(attempt.input_file), as_version=4)
        name = notebook_kernel_name(self.nb)
        if self.km is None or self.km.kernel_name != name:
            self.close()
            attempt.log.write(f"[studio] starting kernel {name}\n")
            self.km = start_kernel(name, cwd=job.working_dir, wait=False)
        self._kpid = kernel_pid(self.km)
        if attempt.cpus and self._kpid:
            resources.set_affinity_all_threads(self._kpid, attempt.cpus)
        setup_kernel(self.km, job.working_dir, attempt.env)

    def run(self, attempt: Attempt) -> None:
        from nbclient.exceptions import DeadKernelError
        from papermill.exceptions import PapermillExecutionError

        job, log = attempt.job, attempt.log
        code_cells = [i for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
        progress: dict[str, Any] = {
            "cells_done": 0, "cells_total": len(code_cells) + (1 if job.parameters else 0),
            "current_cell": None, "current_cell_source": None}

        def on_cell(event: str, index: int, cell) -> None:
            if cell.cell_type != "code":
                return
            if event == "start":
                first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")[:200]
                progress.update(current_cell=index, current_cell_source=first)
                log.write(f"[studio] cell {index}: {first}\n")
            elif not (cell.metadata.get("papermill") or {}).get("exception"):
                # papermill calls cell_complete for a cell that raised (or was interrupted by a
                # stop) too; only cells that ran to the end count as done.
                progress["cells_done"] += 1
            attempt.progress(progress)

        try:
            execute(attempt.input_file, attempt.output_dir / OUTPUT_NOTEBOOK, job.parameters or {},
                    self.km, log, on_cell)
        except PapermillExecutionError as exc:
            first = next((ln for ln in (exc.source or "").splitlines() if ln.strip()), "")[:120]
            self._failure = (f"cell {exc.cell_index} (In [{exc.exec_count}]: {first}) failed: "
                             f"{exc.ename}: {exc.evalue}")
        except DeadKernelError as exc:
            self._failure = f"the kernel died: {exc}"
        except Exception as exc:
            self._failure = f"notebook execution failed: {type(exc).__name__}: {exc}"
            traceback.print_exc(file=log)

    def result(self, attempt: Attempt) -> Outcome:
        self.close()
        output = attempt.output_dir / OUTPUT_NOTEBOOK
        if output.exists():
            try:
                render_html(output, attempt.output_dir / OUTPUT_HTML)
            except Exception as exc:
                attempt.log.write(f"[studio] warning: HTML rendering failed: {exc}\n")
        if self._failure is not None:
            return Outcome(JobStatus.FAILED, self._failure)
        return Outcome(JobStatus.COMPLETED)

    def pid(self) -> int | None:
        return self._kpid

    def interrupt(self) -> None:
        if self._kpid:
            try:
                os.kill(self._kpid, signal.SIGINT)
            except Exception:
                traceback.print_exc()

    def kill(self) -> None:
        if self._kpid:
            resources.kill_tree(self._kpid)

    def close(self) -> None:
        if self.km is not None:
            try:
                shutdown_kernel(self.km)
            except Exception:
                traceback.print_exc()
            self.km = None
