"""Every status a user prints reads as its value: print(job.status) shows Completed, not JobStatus.COMPLETED."""

from __future__ import annotations

import enum

from studio_ext import schemas


def test_given_every_enum_of_the_schemas_then_str_and_format_are_its_value():
    enums = [obj for obj in vars(schemas).values() if isinstance(obj, type) and issubclass(obj, enum.Enum)]
    assert len(enums) >= 6
    for kind in enums:
        assert issubclass(kind, enum.StrEnum), kind
        for member in kind:
            assert str(member) == f"{member}" == member.value, member
