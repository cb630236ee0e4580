"""SWE-bench instance files, and the names of the official images."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from env.instances import (
    InstanceError,
    instance_from_record,
    instance_record,
    read_instances,
    swebench_image_name,
    swegym_image_name,
)


def test_real_swebench_lite_instances_parse(samples):
    instances = read_instances(samples / "swebench_lite_instances.jsonl")
    assert len(instances) == 2
    for instance in instances.values():
        assert instance.base_commit and instance.repo and instance.fail_to_pass


@pytest.mark.parametrize("encode", [lambda x: x, json.dumps], ids=["list", "json-string"])
def test_test_lists_may_be_lists_or_json_encoded_strings(tmp_path, encode):
    record = {
        "instance_id": "a__b-1", "repo": "a/b", "base_commit": "abc",
        "FAIL_TO_PASS": encode(["t.py::x"]), "PASS_TO_PASS": encode([]),
    }  # fmt: skip
    path = tmp_path / "instances.json"
    path.write_text(json.dumps([record]))
    instance = read_instances(path)["a__b-1"]
    assert instance.fail_to_pass == ("t.py::x",) and instance.pass_to_pass == ()


def test_an_instance_record_reads_back_as_the_same_instance(samples):
    """Every field but version and environment_setup_commit, which callers add for their schema."""
    for instance in read_instances(samples / "swebench_lite_instances.jsonl").values():
        back = instance_from_record(instance_record(instance))
        assert back == replace(instance, version="", environment_setup_commit="")
        assert back.fail_to_pass == instance.fail_to_pass and back.test_patch == instance.test_patch


def test_missing_base_commit_is_one_clear_error(tmp_path):
    path = tmp_path / "instances.jsonl"
    path.write_text(json.dumps({"instance_id": "a__b-1", "repo": "a/b"}) + "\n")
    with pytest.raises(InstanceError, match="a__b-1: missing field"):
        read_instances(path)


def test_official_image_names():
    assert swebench_image_name("django__django-11099") == (
        "swebench/sweb.eval.x86_64.django_1776_django-11099:latest"
    )
    assert swegym_image_name("Project-MONAI__MONAI-5640") == (
        "xingyaoww/sweb.eval.x86_64.project-monai_s_monai-5640:latest"
    )


@pytest.mark.docker
def test_official_image_source_without_registry_is_one_clear_error(docker_client):
    from env.images import ImageConfig, ImageError, instance_image
    from env.instances import Instance

    instance = Instance("acme__nothing-1", "acme/nothing", "abc")
    with pytest.raises(ImageError, match="cannot be pulled.*--image-source build --repos DIR"):
        instance_image(docker_client, instance, ImageConfig(image_source="swebench"))
