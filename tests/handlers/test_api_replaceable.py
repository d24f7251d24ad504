"""c.StudioApp.<thing>_class: a class that does not load warns and the default serves, the server starts."""

from __future__ import annotations

import pytest
from traitlets.config import Config

from studio_ext.app import StudioApp
from studio_ext.runner.executors.local import LocalExecutor
from studio_ext.services.audit import AuditService
from studio_ext.services.jobs import JobService
from studio_ext.services.schedules import ScheduleService


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.StudioApp.job_service_class = "no.such.module.JobService"
    jp_server_config.StudioApp.executor_class = "studio_ext.services.jobs.JobService"  # not an executor
    jp_server_config.StudioApp.schedule_service_class = "studio_ext.services.schedules.ScheduleService"
    return jp_server_config


async def test_given_class_names_that_do_not_load_when_the_server_starts_then_the_defaults_serve(
        studio_app, studio_api):
    status, page = await studio_api("GET", "jobs")

    assert status == 200 and page["items"] == []
    assert type(studio_app.settings["studio_ext_job_service"]) is JobService
    assert type(studio_app.settings["studio_ext_schedule_service"]) is ScheduleService
    assert studio_app.executor_class is LocalExecutor
    assert studio_app.agent_classes() == {
        "executor": "studio_ext.runner.executors.local.LocalExecutor",
        "job-service": "studio_ext.services.jobs.JobService",
        "schedule-service": "studio_ext.services.schedules.ScheduleService",
        "audit-service": "studio_ext.services.audit.AuditService",
    }


def test_given_every_replaceable_part_then_it_is_a_documented_class_trait_with_a_contract():
    names = [name for name in StudioApp.class_trait_names(config=True) if name.endswith("_class")]

    assert set(names) == {"job_service_class", "schedule_service_class", "audit_service_class",
                          "agent_service_class", "experiment_service_class", "registry_service_class",
                          "lineage_service_class", "endpoint_service_class", "transform_service_class",
                          "tuning_service_class", "mlflow_ui_class", "executor_class"}
    for name in names:
        trait = StudioApp.class_traits()[name]
        assert trait.help, name
        assert issubclass(trait.default_value, trait.klass), name
    assert StudioApp.class_traits()["audit_service_class"].default_value is AuditService
