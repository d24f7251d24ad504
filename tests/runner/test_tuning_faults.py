"""Tuning jobs under stress: early stopping, warm start, stop, the time limit, a broken template, and
kill -9 of the agent mid-search (the search completes with exactly max_trials trials)."""

from __future__ import annotations

import time

import pytest
from runner.tuning_support import script_request, wait_tuning

from studio_ext.schemas import JobStatus, TrialStatus
from studio_ext.store import orm


def slow(steps: int, sleep: float, **fields):
    """A request whose trials log `steps` values, `sleep` seconds apart."""
    request = script_request(**fields)
    template = request.training_job.model_copy(update={"parameters": {"steps": steps, "sleep": sleep}})
    return request.model_copy(update={"training_job": template})


def trial_jobs(studio, tuning_job_id: str) -> list[orm.Job]:
    with studio.jobs.db.session() as session:
        return [j for j in session.query(orm.Job).all() if j.tags.get("studio.tuning_job_id") == tuning_job_id]


def test_given_early_stopping_when_a_trial_falls_behind_then_it_is_pruned_and_its_job_stopped(studio, tuning):
    # Grid order is the seed's: with seed 2 the weak values come after three completed trials.
    request = slow(6, 0.4, strategy="Grid", early_stopping="Auto", max_trials=6, max_parallel_trials=1, seed=2,
                   parameter_ranges={
        "x": {"type": "Categorical", "values": [0.3, 0.35, 0.25, 0.4, -1.5, -2.0]}})
    created = tuning.create(request, "tester")
    studio.start_agent(pool=1)

    done = wait_tuning(studio, tuning, created.tuning_job_id)

    assert done.status == JobStatus.COMPLETED, done.status_reason
    pruned = [t for t in done.trials or [] if t.status == TrialStatus.PRUNED]
    assert pruned, [(t.parameters, t.status) for t in done.trials or []]
    for trial in pruned:
        assert trial.parameters["x"] < 0  # only the weak ones
        assert trial.status_reason.startswith("pruned at step ") and "median rule" in trial.status_reason
        assert 1 <= trial.steps < 6  # stopped mid-run
        job = studio.jobs.describe_job(trial.job_id)
        assert job.status == JobStatus.STOPPED
    assert done.counts.pruned == len(pruned) and done.counts.completed == 6 - len(pruned)
    assert done.best_trial.parameters["x"] == 0.3


def test_given_a_warm_start_then_the_parents_trials_steer_the_search(studio, tuning):
    grid = {"x": {"type": "Categorical", "values": [0.1, 0.2, 0.3, 0.4]}}
    parent = tuning.create(script_request(name="parent", strategy="Grid", parameter_ranges=grid, max_trials=2), "t")
    studio.start_agent(pool=2)
    parent_done = wait_tuning(studio, tuning, parent.tuning_job_id)
    assert parent_done.status == JobStatus.COMPLETED and parent_done.counts.completed == 2
    seen = {t.parameters["x"] for t in parent_done.trials or []}

    child = tuning.create(script_request(name="child", strategy="Grid", parameter_ranges=grid, max_trials=2,
                                         warm_start={"parents": [parent.tuning_job_id]}), "t")
    assert child.warm_start_trials == 2
    child_done = wait_tuning(studio, tuning, child.tuning_job_id)

    # The grid sampler counts the parents' points as visited: the child runs the other two.
    assert child_done.status == JobStatus.COMPLETED
    assert {t.parameters["x"] for t in child_done.trials or []} == {0.1, 0.2, 0.3, 0.4} - seen


def test_given_a_running_tuning_job_when_stopped_then_its_trials_jobs_stop_and_no_new_trial_starts(studio, tuning):
    created = tuning.create(slow(40, 0.5, max_trials=6, max_parallel_trials=2), "tester")
    studio.start_agent(pool=2)
    studio.wait_for(lambda: sum(j.status == "InProgress" for j in trial_jobs(studio, created.tuning_job_id)) == 2,
                    what="two trials running")

    tuning.stop(created.tuning_job_id, "tester")
    done = wait_tuning(studio, tuning, created.tuning_job_id)

    assert done.status == JobStatus.STOPPED and done.status_reason == "stop requested by tester"
    assert done.counts.total == 2 and done.counts.stopped == 2
    assert all(j.status == "Stopped" for j in trial_jobs(studio, created.tuning_job_id))
    time.sleep(1.5)
    assert len(trial_jobs(studio, created.tuning_job_id)) == 2
    with pytest.raises(Exception, match="already Stopped"):
        tuning.stop(created.tuning_job_id, "tester")


def test_given_max_runtime_when_reached_then_the_search_ends_completed_in_time(studio, tuning):
    created = tuning.create(slow(6, 0.5, max_trials=50, max_parallel_trials=2, max_runtime_seconds=10), "tester")
    studio.start_agent(pool=2)

    done = wait_tuning(studio, tuning, created.tuning_job_id)

    assert done.status == JobStatus.COMPLETED and done.status_reason == "max_runtime_seconds (10 s) reached"
    assert (done.ended_at - done.started_at).total_seconds() < 10 + 8  # running trials stop within their grace
    assert 0 < done.counts.total < 50 and done.counts.running == 0


def test_given_a_metric_the_runs_never_log_then_the_tuning_job_fails_after_the_first_trials(studio, tuning):
    request = script_request(objective={"metric": "accuracy", "type": "Maximize"}, max_trials=10)
    created = tuning.create(request, "tester")
    studio.start_agent(pool=2)

    done = wait_tuning(studio, tuning, created.tuning_job_id)

    assert done.status == JobStatus.FAILED
    assert done.status_reason.startswith("the first 3 trials failed; trial 0: its run logged no metric 'accuracy' "
                                         "(it logged: score)")
    assert done.counts.failed >= 3 and done.counts.total <= 4  # not ten failures


def test_given_the_agent_killed_mid_search_when_a_new_one_starts_then_exactly_max_trials_run(studio, tuning):
    created = tuning.create(slow(3, 0.5, max_trials=5, max_parallel_trials=2), "tester")
    agent = studio.start_agent(pool=2)
    studio.wait_for(lambda: tuning.describe(created.tuning_job_id).counts.completed >= 1, what="a trial done")
    studio.wait_for(lambda: tuning.describe(created.tuning_job_id).counts.running == 2, what="two trials running")

    studio.kill9(agent)
    studio.start_agent(pool=2)
    done = wait_tuning(studio, tuning, created.tuning_job_id)

    assert done.status == JobStatus.COMPLETED, done.status_reason
    assert [t.trial_number for t in done.trials or []] == list(range(5))
    assert done.counts.completed == 5
    jobs = trial_jobs(studio, created.tuning_job_id)
    assert len(jobs) == 5 and {j.job_id for j in jobs} == {t.job_id for t in done.trials or []}
    assert all(j.status == "Completed" for j in jobs)
