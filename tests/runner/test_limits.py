"""Timeouts, stop, retries and the memory limit, enforced on real job processes."""

from __future__ import annotations

import pytest

from studio_ext.schemas import JobStatus

pytestmark = pytest.mark.slow


def test_given_a_script_past_its_timeout_then_failed_timed_out(running_studio):
    s = running_studio
    (s.root / "slow").mkdir()
    (s.root / "slow" / "sleep.py").write_text("import time\nprint('sleeping', flush=True)\ntime.sleep(120)\n")
    job = s.wait(s.submit(input="slow/sleep.py", timeout_seconds=2))
    assert job.status == JobStatus.FAILED
    assert job.status_reason == "timed out after 2 s"
    assert job.duration_seconds < 60


def test_given_a_running_notebook_when_stopped_then_stopped_by_the_user(running_studio):
    s = running_studio
    s.notebook("long.ipynb", cells=["import time", "for _ in range(600):\n    time.sleep(0.1)", "print('done')"])
    job_id = s.submit(input="long.ipynb")
    s.wait_for(lambda: s.jobs.describe_job(job_id).progress.current_cell == 1, what="the sleeping cell")
    s.jobs.stop_job(job_id, "carol")
    job = s.wait(job_id, timeout=60)
    assert job.status == JobStatus.STOPPED
    assert job.status_reason == "stopped by carol"
    assert job.ended_at is not None


def test_given_a_running_script_when_stopped_then_stopped(running_studio):
    s = running_studio
    (s.root / "loop").mkdir()
    (s.root / "loop" / "loop.py").write_text("import time\nprint('looping', flush=True)\ntime.sleep(300)\n")
    job_id = s.submit(input="loop/loop.py")
    s.wait_for(lambda: "looping" in s.log(job_id), what="the script to start")
    s.jobs.stop_job(job_id, "dave")
    job = s.wait(job_id, timeout=60)
    assert job.status == JobStatus.STOPPED and job.status_reason == "stopped by dave"


def test_given_a_flaky_script_with_retries_then_completed_on_attempt_2_and_log_keeps_both(running_studio):
    s = running_studio
    (s.root / "flaky").mkdir()
    (s.root / "flaky" / "flaky.py").write_text(
        "import pathlib, sys\np = pathlib.Path('count')\nn = int(p.read_text()) if p.exists() else 0\n"
        "p.write_text(str(n + 1))\nprint('attempt', n + 1)\nsys.exit(2 if n == 0 else 0)\n")
    job = s.wait(s.submit(input="flaky/flaky.py", max_retries=2))
    assert job.status == JobStatus.COMPLETED and job.attempt == 2
    log = s.log(job.job_id)
    assert "attempt 1 of 3 started" in log and "attempt 2 of 3 started" in log
    assert "retrying (attempt 2 of 3) after: script exited with code 2" in log


def test_given_a_script_that_always_fails_then_failed_after_its_retries(running_studio):
    s = running_studio
    (s.root / "always").mkdir()
    (s.root / "always" / "fail.py").write_text("import sys\nsys.exit(3)\n")
    job = s.wait(s.submit(input="always/fail.py", max_retries=1))
    assert job.status == JobStatus.FAILED and job.attempt == 2
    assert job.status_reason == "script exited with code 3"


def test_given_a_script_over_its_memory_limit_then_killed_with_the_reason(running_studio):
    s = running_studio
    (s.root / "mem").mkdir()
    (s.root / "mem" / "hog.py").write_text(
        "import time\nblocks = []\nfor _ in range(40):\n    blocks.append(b'x' * (20 << 20))\n    time.sleep(0.05)\n"
        "time.sleep(60)\n")
    job = s.wait(s.submit(input="mem/hog.py", instance_type="test.tiny"))
    assert job.status == JobStatus.FAILED
    assert job.status_reason.startswith("memory limit exceeded: ")
    assert "> 150 MiB (instance type test.tiny)" in job.status_reason


def test_given_an_instance_type_then_the_job_runs_on_its_cpu_set(running_studio):
    s = running_studio
    (s.root / "aff").mkdir()
    (s.root / "aff" / "aff.py").write_text(
        "import os\nopen(os.path.join(os.environ['STUDIO_OUTPUT_DIR'], 'cpus.txt'), 'w').write("
        "','.join(map(str, sorted(os.sched_getaffinity(0)))))\n")
    job = s.wait(s.submit(input="aff/aff.py", instance_type="local.small"))
    assert job.status == JobStatus.COMPLETED
    cpus = s.jobs.output_file(job.job_id, "cpus.txt").read_text().split(",")
    assert len(cpus) == 1  # local.small has 1 vCPU


def test_given_a_notebook_past_its_timeout_then_the_kernel_is_ended_and_failed_timed_out(running_studio):
    s = running_studio
    s.notebook("sleepy.ipynb", cells=["import time", "time.sleep(300)"])
    job = s.wait(s.submit(input="sleepy.ipynb", timeout_seconds=3), timeout=120)
    assert job.status == JobStatus.FAILED and job.status_reason == "timed out after 3 s"
    assert "output.ipynb" in {o.name for o in job.outputs}  # what ran before the timeout is kept


def test_given_a_notebook_over_its_memory_limit_then_failed_with_the_reason(running_studio):
    s = running_studio
    s.notebook("hog.ipynb", cells=["import time\nblocks = []\nfor _ in range(40):\n"
                                   "    blocks.append(b'x' * (20 << 20))\n    time.sleep(0.05)\ntime.sleep(60)"])
    job = s.wait(s.submit(input="hog.ipynb", instance_type="test.tiny"), timeout=120)
    assert job.status == JobStatus.FAILED
    assert job.status_reason.startswith("memory limit exceeded: ") and "test.tiny" in job.status_reason


def test_given_a_gpu_instance_type_then_cuda_visible_devices_is_set(running_studio):
    s = running_studio
    (s.root / "gpu").mkdir()
    (s.root / "gpu" / "gpu.py").write_text(
        "import os\nopen(os.path.join(os.environ['STUDIO_OUTPUT_DIR'], 'cuda.txt'), 'w').write("
        "os.environ.get('CUDA_VISIBLE_DEVICES', 'unset'))\n")
    job = s.wait(s.submit(input="gpu/gpu.py", instance_type="local.gpu"))
    assert job.status == JobStatus.COMPLETED, job.status_reason
    assert s.jobs.output_file(job.job_id, "cuda.txt").read_text() == "0"
