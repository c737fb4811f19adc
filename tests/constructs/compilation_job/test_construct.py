"""Template assertions for every CompilationJob option.

One module-scoped App holds every stack, so the app synthesizes once. Name
variants are compared without synthesizing: names are known at construct time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Duration, Environment, RemovalPolicy, Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_constructs import (
    CompilationJob,
    Framework,
    ModelSource,
    TargetDevice,
    TargetPlatform,
    TargetPlatformArch,
    TargetPlatformOs,
)
from sagemaker_constructs._handler import HandlerFunction
from sagemaker_constructs._naming import stack_prefix
from tests.constructs import MODEL_FILE
from tests.constructs.cfn import flat

ENV = Environment(account="123456789012", region="us-east-1")
RESOURCE_TYPE = "Custom::SageMakerCompilationJob"
PACKAGE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/resnet/3"
EXTERNAL_URI = "s3://external-models/vision/resnet50.tar.gz"
NCHW = {"input0": [1, 3, 224, 224]}
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
API_KEYS = {
    "CompilationJobName",
    "RoleArn",
    "ModelPackageVersionArn",
    "InputConfig",
    "OutputConfig",
    "VpcConfig",
    "StoppingCondition",
    "Tags",
}
HEX64 = r"[0-9a-f]{64}"


# --- helpers ---------------------------------------------------------------------
def resources_of(statement: dict[str, Any]) -> list[str]:
    resource = statement["Resource"]
    return [flat(r) for r in (resource if isinstance(resource, list) else [resource])]


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def lid(stack: Stack, construct: Any) -> str:
    return stack.get_logical_id(construct.node.default_child)


def policies_of_role(template: Template, stack: Stack, role: iam.IRole) -> dict[str, list[dict[str, Any]]]:
    """logical id -> statements, for every AWS::IAM::Policy attached to ``role``."""
    role_ref = {"Ref": lid(stack, role)}
    return {
        policy_id: policy["Properties"]["PolicyDocument"]["Statement"]
        for policy_id, policy in template.find_resources("AWS::IAM::Policy").items()
        if role_ref in policy["Properties"]["Roles"]
    }


def statements_of_role(template: Template, stack: Stack, role: iam.IRole) -> list[dict[str, Any]]:
    return [s for statements in policies_of_role(template, stack, role).values() for s in statements]


def statements_with(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [s for s in statements if action in actions_of(s)]


def handler_of(stack: Stack) -> HandlerFunction:
    handler = stack.node.find_child("SmcCompilationJobHandler")
    assert isinstance(handler, HandlerFunction)
    return handler


# --- the shared app ------------------------------------------------------------
@dataclass
class Built:
    app: App
    stacks: dict[str, Stack]
    jobs: dict[str, CompilationJob]
    extra: dict[str, Any]
    _templates: dict[str, Template]
    _annotations: dict[str, Annotations]
    _json: dict[str, dict[str, Any]]

    def annotations(self, stack: str) -> Annotations:
        if stack not in self._annotations:
            self._annotations[stack] = Annotations.from_stack(self.stacks[stack])
        return self._annotations[stack]

    def template(self, stack: str) -> Template:
        if stack not in self._templates:
            self._templates[stack] = Template.from_stack(self.stacks[stack])
        return self._templates[stack]

    def json(self, stack: str) -> dict[str, Any]:
        if stack not in self._json:
            self._json[stack] = self.template(stack).to_json()
        return self._json[stack]

    def resource(self, job: str) -> dict[str, Any]:
        stack_name, _ = job.split(".", 1)
        found: dict[str, Any] = self.json(stack_name)["Resources"][
            lid(self.stacks[stack_name], self.jobs[job].resource)
        ]
        return found

    def props(self, job: str) -> dict[str, Any]:
        props: dict[str, Any] = self.resource(job)["Properties"]
        return props


def add_basic(stack: Stack) -> tuple[s3.Bucket, s3.Bucket, CompilationJob]:
    models = s3.Bucket(stack, "Models")
    out = s3.Bucket(stack, "Out")
    job = CompilationJob(
        stack,
        "Basic",
        model=ModelSource.from_bucket(models, "models/resnet18.tar.gz"),
        framework=Framework.PYTORCH,
        data_input_config=NCHW,
        target_device=TargetDevice.SITARA_AM57X,
        output_bucket=out,
        output_prefix="compiled/",
    )
    return models, out, job


@pytest.fixture(scope="module")
def built() -> Iterator[Built]:
    app = App()
    stacks: dict[str, Stack] = {}
    jobs: dict[str, CompilationJob] = {}
    extra: dict[str, Any] = {}

    # Jobs: one job per option.
    stack = stacks["Jobs"] = Stack(app, "Jobs", env=ENV)
    models, out, basic = add_basic(stack)
    jobs["Jobs.basic"] = basic
    Tags.of(basic).add("team", "vision")
    Tags.of(basic).add("cost-center", "42")
    key = extra["key"] = kms.Key(stack, "Key")
    jobs["Jobs.platform"] = CompilationJob(
        stack,
        "Platform",
        model=ModelSource.from_bucket(models, "models/detector.tar.gz", version="run-7"),
        framework="PYTORCH",
        framework_version="1.13",
        data_input_config=[[1, 3, 512, 512]],
        target_platform=TargetPlatform(os="LINUX", arch="ARM64", accelerator="NVIDIA"),
        compiler_options={"gpu-code": "sm_72", "trt-ver": "8.2", "cuda-ver": "10.2"},
        output_bucket=out,
        output_prefix="edge/",
        kms_key=key,
        max_runtime=Duration.minutes(30),
        removal_policy=RemovalPolicy.RETAIN,
        stack_outputs=False,
    )
    jobs["Jobs.enum_platform"] = CompilationJob(
        stack,
        "EnumPlatform",
        model=ModelSource.from_bucket(models, "models/detector.tar.gz"),
        framework=Framework.TFLITE,
        target_platform=TargetPlatform(os=TargetPlatformOs.ANDROID, arch=TargetPlatformArch.ARM_EABI),
        output_bucket=out,
        compiler_options='{"ANDROID_PLATFORM": 25}',
        stack_outputs=False,
    )
    subnets = [
        ec2.Subnet.from_subnet_id(stack, "SubnetA", "subnet-0aaaaaaaaaaaaaaa1"),
        ec2.Subnet.from_subnet_id(stack, "SubnetB", "subnet-0bbbbbbbbbbbbbbb2"),
    ]
    group = ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0ccccccccccccccc3")
    jobs["Jobs.vpc"] = CompilationJob(
        stack,
        "Vpc",
        model=ModelSource.from_s3_uri(EXTERNAL_URI),
        framework=Framework.TENSORFLOW,
        data_input_config='{"input": [1, 224, 224, 3]}',
        target_device=TargetDevice.ML_C5,
        output_bucket=out,
        vpc_subnets=subnets,
        security_groups=[group],
        stack_outputs=False,
    )
    jobs["Jobs.package"] = CompilationJob(
        stack,
        "Package",
        model=ModelSource.from_model_package(PACKAGE_ARN),
        framework=Framework.PYTORCH,
        target_device="ml_inf2",
        output_bucket=out,
        stack_outputs=False,
    )
    jobs["Jobs.explicit"] = CompilationJob(
        stack,
        "Explicit",
        model=ModelSource.from_bucket(models, "models/resnet18.tar.gz"),
        framework=Framework.XGBOOST,
        target_device=TargetDevice.of("new_board"),
        output_bucket=out,
        output_prefix="named/",
        compilation_job_name="MyExplicit-Job",
        stack_outputs=False,
    )
    jobs["Jobs.asset"] = CompilationJob(
        stack,
        "Asset",
        model=ModelSource.from_asset(MODEL_FILE),
        framework=Framework.ONNX,
        data_input_config={"input": [1, 3, 224, 224]},
        target_device=TargetDevice.JETSON_NANO,
        output_bucket=out,
        output_prefix="from-asset/",
        stack_outputs=False,
    )

    # The basic job again, untagged, in a stack with the same stack name.
    untagged = stacks["JobsUntagged"] = Stack(app, "JobsUntagged", stack_name="Jobs", env=ENV)
    jobs["JobsUntagged.basic"] = add_basic(untagged)[2]

    # Many: five jobs, one handler; three share a role.
    many = stacks["Many"] = Stack(app, "Many", env=ENV)
    many_out = s3.Bucket(many, "Out")
    shared = extra["shared_role"] = iam.Role(many, "Shared", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    for i in range(5):
        jobs[f"Many.job{i}"] = CompilationJob(
            many,
            f"Job{i}",
            model=ModelSource.from_bucket(many_out, f"models/m{i}.tar.gz"),
            framework=Framework.PYTORCH,
            framework_version="2.1",
            target_device=TargetDevice.ML_C5,
            output_bucket=many_out,
            role=shared if i < 3 else None,
        )

    # Warnings.
    warn = stacks["Warnings"] = Stack(app, "Warnings", env=ENV)
    warn_out = s3.Bucket(warn, "Out")
    cases = {
        "Xgb": (Framework.XGBOOST, {"data": [1, 10]}),
        "PytorchNhwc": (Framework.PYTORCH, {"input0": [1, 224, 224, 3]}),
        "KerasNhwc": (Framework.KERAS, {"input_1": [1, 224, 224, 3]}),
        "MxnetNhwc": (Framework.MXNET, {"data": [1, 224, 224, 3]}),
        "OnnxNhwc": (Framework.ONNX, {"input": [1, 224, 224, 3]}),
        "TensorflowNchw": (Framework.TENSORFLOW, {"input": [1, 3, 224, 224]}),
        "PytorchNchw": (Framework.PYTORCH, {"input0": [1, 3, 224, 224]}),
        "TensorflowNhwc": (Framework.TENSORFLOW, {"input": [1, 224, 224, 3]}),
        "XgbNoConfig": (Framework.XGBOOST, None),
    }
    for construct_id, (framework, config) in cases.items():
        CompilationJob(
            warn,
            construct_id,
            model=ModelSource.from_s3_uri("s3://models/m.tar.gz"),
            framework=framework,
            data_input_config=config,
            target_device=TargetDevice.ML_C5,
            output_bucket=warn_out,
            stack_outputs=False,
        )

    # Tokens: a CfnParameter as explicit name and as model URI.
    tokens = stacks["Tokens"] = Stack(app, "Tokens", env=ENV)
    tokens_out = s3.Bucket(tokens, "Out")
    jobs["Tokens.named"] = CompilationJob(
        tokens,
        "Named",
        model=ModelSource.from_s3_uri(CfnParameter(tokens, "ModelUri").value_as_string),
        framework=Framework.PYTORCH,
        data_input_config=NCHW,
        target_device=TargetDevice.ML_C5,
        output_bucket=tokens_out,
        compilation_job_name=CfnParameter(tokens, "JobName").value_as_string,
    )
    jobs["Tokens.partial"] = CompilationJob(
        tokens,
        "Partial",
        model=ModelSource.from_s3_uri(f"s3://{CfnParameter(tokens, 'ModelBucket').value_as_string}/m/x.tar.gz"),
        framework=Framework.PYTORCH,
        data_input_config=NCHW,
        target_device=TargetDevice.ML_C5,
        output_bucket=tokens_out,
    )

    yield Built(app, stacks, jobs, extra, {}, {}, {})


# --- the custom resource and its properties -----------------------------------------
def test_every_job_is_a_compilation_job_custom_resource(built: Built) -> None:
    built.template("Jobs").resource_count_is(RESOURCE_TYPE, 7)
    built.template("Many").resource_count_is(RESOURCE_TYPE, 5)


def test_properties_are_the_api_fields_plus_service_token_timeout_and_options(built: Built) -> None:
    for job in ("Jobs.basic", "Jobs.platform", "Jobs.vpc", "Jobs.package", "Jobs.explicit", "Jobs.asset"):
        keys = set(built.props(job))
        assert keys <= API_KEYS | {"ServiceToken", "ServiceTimeout", "Options"}, (job, keys)
        assert {"ServiceToken", "CompilationJobName", "RoleArn", "OutputConfig", "StoppingCondition"} <= keys


def test_basic_job_renders_the_pascal_case_request(built: Built) -> None:
    stack = built.stacks["Jobs"]
    job = built.jobs["Jobs.basic"]
    name = job.compilation_job_name
    built.template("Jobs").has_resource_properties(
        RESOURCE_TYPE,
        {
            "ServiceToken": {"Fn::GetAtt": [lid(stack, handler_of(stack).function), "Arn"]},
            "CompilationJobName": name,
            "RoleArn": {"Fn::GetAtt": [lid(stack, job.role), "Arn"]},
            "InputConfig": {
                "Framework": "PYTORCH",
                "S3Uri": Match.any_value(),
                "DataInputConfig": '{"input0":[1,3,224,224]}',
            },
            "OutputConfig": {"TargetDevice": "sitara_am57x", "S3OutputLocation": Match.any_value()},
            "StoppingCondition": {"MaxRuntimeInSeconds": 900},
            "VpcConfig": Match.absent(),
            "Options": Match.absent(),
            "ModelPackageVersionArn": Match.absent(),
        },
    )
    props = built.props("Jobs.basic")
    models, out = lid(stack, stack.node.find_child("Models")), lid(stack, stack.node.find_child("Out"))
    assert flat(props["InputConfig"]["S3Uri"]) == "s3://${" + models + "}/models/resnet18.tar.gz"
    assert flat(props["OutputConfig"]["S3OutputLocation"]) == "s3://${" + out + "}/compiled/" + name + "/"


def test_tags_from_tags_of_are_rendered(built: Built) -> None:
    tags = built.props("Jobs.basic")["Tags"]
    assert sorted(tags, key=lambda t: t["Key"]) == [
        {"Key": "cost-center", "Value": "42"},
        {"Key": "team", "Value": "vision"},
    ]


def test_untagged_job_has_no_tags_property(built: Built) -> None:
    assert "Tags" not in built.props("JobsUntagged.basic")


def test_tags_do_not_change_the_name(built: Built) -> None:
    tagged, untagged = built.props("Jobs.basic"), built.props("JobsUntagged.basic")
    assert tagged["CompilationJobName"] == untagged["CompilationJobName"]
    assert {k: v for k, v in tagged.items() if k != "Tags"} == untagged


def test_target_platform_with_plain_strings(built: Built) -> None:
    output = built.props("Jobs.platform")["OutputConfig"]
    assert output["TargetPlatform"] == {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"}
    assert "TargetDevice" not in output


def test_target_platform_with_enum_members_and_no_accelerator(built: Built) -> None:
    output = built.props("Jobs.enum_platform")["OutputConfig"]
    assert output["TargetPlatform"] == {"Os": "ANDROID", "Arch": "ARM_EABI"}
    assert output["CompilerOptions"] == '{"ANDROID_PLATFORM": 25}'  # a string is passed as given


def test_compiler_options_mapping_is_compact_json(built: Built) -> None:
    options = built.props("Jobs.platform")["OutputConfig"]["CompilerOptions"]
    assert json.loads(options) == {"gpu-code": "sm_72", "trt-ver": "8.2", "cuda-ver": "10.2"}
    assert " " not in options


def test_framework_version_and_pytorch_list_of_shapes(built: Built) -> None:
    inputs = built.props("Jobs.platform")["InputConfig"]
    assert inputs["FrameworkVersion"] == "1.13"
    assert inputs["DataInputConfig"] == "[[1,3,512,512]]"
    assert inputs["Framework"] == "PYTORCH"


def test_kms_key_is_the_output_key(built: Built) -> None:
    stack = built.stacks["Jobs"]
    assert built.props("Jobs.platform")["OutputConfig"]["KmsKeyId"] == {
        "Fn::GetAtt": [lid(stack, built.extra["key"]), "Arn"]
    }
    assert "KmsKeyId" not in built.props("Jobs.basic")["OutputConfig"]


def test_vpc_config_lists_subnets_and_security_groups(built: Built) -> None:
    assert built.props("Jobs.vpc")["VpcConfig"] == {
        "Subnets": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"],
        "SecurityGroupIds": ["sg-0ccccccccccccccc3"],
    }


def test_json_string_data_input_config_is_passed_as_given(built: Built) -> None:
    assert built.props("Jobs.vpc")["InputConfig"]["DataInputConfig"] == '{"input": [1, 224, 224, 3]}'


def test_from_s3_uri_is_the_input_uri(built: Built) -> None:
    assert built.props("Jobs.vpc")["InputConfig"]["S3Uri"] == EXTERNAL_URI


def test_model_package_has_version_arn_and_no_input_config(built: Built) -> None:
    props = built.props("Jobs.package")
    assert props["ModelPackageVersionArn"] == PACKAGE_ARN
    assert "InputConfig" not in props
    assert props["OutputConfig"]["TargetDevice"] == "ml_inf2"


def test_explicit_name_is_used_and_flagged(built: Built) -> None:
    props = built.props("Jobs.explicit")
    assert props["CompilationJobName"] == "MyExplicit-Job"
    assert built.jobs["Jobs.explicit"].compilation_job_name == "MyExplicit-Job"
    assert props["Options"] == {"ExplicitName": "true"}
    assert flat(props["OutputConfig"]["S3OutputLocation"]).endswith("/named/MyExplicit-Job/")
    assert props["OutputConfig"]["TargetDevice"] == "new_board"


def test_from_asset_stages_the_gz_asset_object_to_a_tar_gz_key(built: Built) -> None:
    props = built.props("Jobs.asset")
    stage_from = props["Options"]["StageModelFrom"]
    match = re.fullmatch(rf"s3://cdk-hnb659fds-assets-123456789012-us-east-1/({HEX64})\.gz", stage_from)
    assert match, stage_from
    stack = built.stacks["Jobs"]
    out = lid(stack, stack.node.find_child("Out"))
    s3_uri = flat(props["InputConfig"]["S3Uri"])
    assert s3_uri == "s3://${" + out + "}/from-asset/model-inputs/" + match.group(1) + ".tar.gz"


def test_stopping_condition_and_service_timeout_adds_five_minutes(built: Built) -> None:
    for job, runtime in (("Jobs.basic", 900), ("Jobs.platform", 1800)):
        props = built.props(job)
        assert props["StoppingCondition"] == {"MaxRuntimeInSeconds": runtime}
        assert int(props["ServiceTimeout"]) == runtime + 300


def test_removal_policy_destroy_by_default_and_retain(built: Built) -> None:
    assert built.resource("Jobs.basic")["DeletionPolicy"] == "Delete"
    assert built.resource("Jobs.basic")["UpdateReplacePolicy"] == "Delete"
    assert built.resource("Jobs.platform")["DeletionPolicy"] == "Retain"
    assert built.resource("Jobs.platform")["UpdateReplacePolicy"] == "Retain"


def test_custom_resource_waits_for_its_role_policy_and_handover_policy(built: Built) -> None:
    stack = built.stacks["Jobs"]
    depends = built.resource("Jobs.basic")["DependsOn"]
    handover = handler_of(stack).node.find_child("HandoverPolicy")
    assert lid(stack, built.jobs["Jobs.basic"].role) in depends
    assert stack.get_logical_id(handover.node.default_child) in depends  # type: ignore[arg-type]


# --- attributes and outputs ---------------------------------------------------------
@pytest.mark.parametrize(
    ("attribute", "getatt"),
    [
        ("compilation_job_arn", "CompilationJobArn"),
        ("model_artifacts_s3_uri", "S3ModelArtifacts"),
        ("compilation_job_status", "CompilationJobStatus"),
        ("inference_image", "InferenceImage"),
    ],
)
def test_attributes_are_getatts_of_the_resource(built: Built, attribute: str, getatt: str) -> None:
    stack = built.stacks["Jobs"]
    job = built.jobs["Jobs.basic"]
    assert stack.resolve(getattr(job, attribute)) == {"Fn::GetAtt": [lid(stack, job.resource), getatt]}


def test_compilation_job_name_is_the_template_name(built: Built) -> None:
    for key, job in built.jobs.items():
        if not key.startswith("Tokens."):
            assert built.props(key)["CompilationJobName"] == job.compilation_job_name


def test_stack_outputs_on_adds_arn_and_artifact_outputs(built: Built) -> None:
    stack = built.stacks["Jobs"]
    resource = lid(stack, built.jobs["Jobs.basic"].resource)
    outputs = built.json("Jobs")["Outputs"]
    values = sorted(json.dumps(o["Value"]) for o in outputs.values())
    assert values == sorted(
        json.dumps({"Fn::GetAtt": [resource, attr]}) for attr in ("CompilationJobArn", "S3ModelArtifacts")
    )


def test_stack_outputs_off_adds_none(built: Built) -> None:
    outputs = built.json("Jobs")["Outputs"]
    others = {lid(built.stacks["Jobs"], built.jobs[k].resource) for k in ("Jobs.platform", "Jobs.asset")}
    assert not [o for o in outputs.values() if o["Value"]["Fn::GetAtt"][0] in others]
    assert len(outputs) == 2


# --- names ---------------------------------------------------------------------------
def test_generated_names_are_valid_lowercase_prefixed_and_unique(built: Built) -> None:
    generated = [
        job.compilation_job_name
        for key, job in built.jobs.items()
        if key.startswith(("Jobs.", "Many.")) and key != "Jobs.explicit"
    ]
    for name in generated:
        assert len(name) <= 63
        assert name == name.lower()
        assert NAME_PATTERN.match(name)
        assert name.startswith((stack_prefix("Jobs"), stack_prefix("Many")))
    assert len(set(generated)) == len(generated)
    assert built.jobs["Jobs.basic"].compilation_job_name.startswith(f"{stack_prefix('Jobs')}basic-")


@pytest.fixture(scope="module")
def variant_app() -> App:
    return App()


def variant_name(app: App, change: Callable[[Stack], dict[str, Any]] | None = None, construct_id: str = "Job") -> str:
    """The generated name of the basic job with ``change(stack)`` applied, in a
    new stack that has the same stack name as every other variant."""
    index = len(app.node.children)
    stack = Stack(app, f"Variant{index}", stack_name="Variant", env=ENV)
    models = s3.Bucket(stack, "Models")
    out = s3.Bucket(stack, "Out")
    props: dict[str, Any] = {
        "model": ModelSource.from_bucket(models, "models/resnet18.tar.gz"),
        "framework": Framework.PYTORCH,
        "data_input_config": NCHW,
        "target_device": TargetDevice.SITARA_AM57X,
        "output_bucket": out,
        "output_prefix": "compiled/",
    }
    if change is not None:
        props.update(change(stack))
    return CompilationJob(stack, construct_id, **props).compilation_job_name


def _other_bucket(stack: Stack) -> s3.Bucket:
    return s3.Bucket(stack, "Other")


CHANGES: dict[str, Callable[[Stack], dict[str, Any]]] = {
    "model key": lambda s: {"model": ModelSource.from_bucket(s.node.find_child("Models"), "models/r50.tar.gz")},
    "model version": lambda s: {
        "model": ModelSource.from_bucket(s.node.find_child("Models"), "models/resnet18.tar.gz", version="v2")
    },
    "model uri": lambda s: {"model": ModelSource.from_s3_uri("s3://elsewhere/models/resnet18.tar.gz")},
    "framework": lambda s: {"framework": Framework.ONNX},
    "framework version": lambda s: {"framework_version": "1.13"},
    "data input config": lambda s: {"data_input_config": {"input0": [1, 3, 256, 256]}},
    "target device": lambda s: {"target_device": TargetDevice.ML_C5},
    "target platform": lambda s: {
        "target_device": None,
        "target_platform": TargetPlatform(os="LINUX", arch="X86_64"),
    },
    "output bucket": lambda s: {"output_bucket": _other_bucket(s)},
    "output prefix": lambda s: {"output_prefix": "compiled-v2/"},
    "role": lambda s: {
        "role": iam.Role(s, "Mine", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")),
    },
    "max runtime": lambda s: {"max_runtime": Duration.minutes(16)},
    "compiler options": lambda s: {"compiler_options": {"dtype": "float16"}},
    "kms key": lambda s: {"kms_key": kms.Key(s, "K")},
    "vpc": lambda s: {
        "vpc_subnets": [ec2.Subnet.from_subnet_id(s, "Sn", "subnet-0123456789abcdef0")],
        "security_groups": [ec2.SecurityGroup.from_security_group_id(s, "Sg", "sg-0123456789abcdef0")],
    },
}


@pytest.fixture(scope="module")
def baseline_name(variant_app: App) -> str:
    return variant_name(variant_app)


def test_same_properties_give_the_same_name(variant_app: App, baseline_name: str) -> None:
    assert variant_name(variant_app) == baseline_name


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_property_change_changes_the_name(variant_app: App, baseline_name: str, change: str) -> None:
    name = variant_name(variant_app, CHANGES[change])
    assert name != baseline_name
    assert name.startswith(f"{stack_prefix('Variant')}job-")


def test_removal_policy_and_outputs_do_not_change_the_name(variant_app: App, baseline_name: str) -> None:
    same = variant_name(variant_app, lambda s: {"removal_policy": RemovalPolicy.RETAIN, "stack_outputs": False})
    assert same == baseline_name


def test_another_construct_path_gives_another_name(variant_app: App, baseline_name: str) -> None:
    other = variant_name(variant_app, construct_id="Job2")
    assert other != baseline_name
    assert other.startswith(f"{stack_prefix('Variant')}job2-")


def test_long_construct_paths_give_valid_names(variant_app: App) -> None:
    name = variant_name(variant_app, construct_id="CompileTheResNet50ModelForEveryEdgeDeviceWeShipThisQuarter" * 2)
    assert len(name) <= 63
    assert NAME_PATTERN.match(name)
    assert name.startswith(f"{stack_prefix('Variant')}compiletheresnet50")


# --- the handler -----------------------------------------------------------------------
def test_one_handler_lambda_per_stack_however_many_jobs(built: Built) -> None:
    for stack in ("Jobs", "Many", "Warnings"):
        built.template(stack).resource_count_is("AWS::Lambda::Function", 1)
    built.template("Many").has_resource_properties(
        "AWS::Lambda::Function", {"Runtime": "python3.14", "Timeout": 900, "Handler": "index.handler"}
    )


def test_handler_compilation_job_actions_are_scoped_to_the_prefix_and_explicit_name(built: Built) -> None:
    """Changed (issue 15, defect 1): only the Create is scoped by name (the prefix and the
    explicit name, with this stack's ownership tags in the request); the destructive and
    tagging actions are scoped by the ownership tag on the job, the reads by resource type."""
    stack = built.stacks["Jobs"]
    statements = statements_of_role(built.template("Jobs"), stack, handler_of(stack).role)
    jobs = "arn:${AWS::Partition}:sagemaker:us-east-1:123456789012:compilation-job/"
    named = [f"{jobs}{stack_prefix('Jobs')}*", f"{jobs}myexplicit-job"]
    (create,) = statements_with(statements, "sagemaker:CreateCompilationJob")
    assert actions_of(create) == ["sagemaker:CreateCompilationJob"]
    assert sorted(resources_of(create)) == named
    assert create["Condition"] == {
        "StringEquals": {"aws:RequestTag/sagemaker-constructs:stack-id": {"Ref": "AWS::StackId"}},
        "Null": {"aws:RequestTag/sagemaker-constructs:logical-id": "false"},
    }
    tag_on_create, owned = statements_with(statements, "sagemaker:AddTags")
    assert sorted(resources_of(tag_on_create)) == named
    assert tag_on_create["Condition"] == {
        "StringEquals": {
            "sagemaker:TaggingAction": "CreateCompilationJob",
            "aws:RequestTag/sagemaker-constructs:stack-id": {"Ref": "AWS::StackId"},
        }
    }
    assert set(actions_of(owned)) == {
        "sagemaker:StopCompilationJob",
        "sagemaker:DeleteCompilationJob",
        "sagemaker:AddTags",
        "sagemaker:DeleteTags",
    }
    assert resources_of(owned) == [f"{jobs}*"]
    assert owned["Condition"] == {
        "StringEquals": {"aws:ResourceTag/sagemaker-constructs:stack-id": {"Ref": "AWS::StackId"}},
        "ForAllValues:StringNotLike": {"aws:TagKeys": "sagemaker-constructs:*"},
    }
    (read,) = statements_with(statements, "sagemaker:DescribeCompilationJob")
    assert set(actions_of(read)) == {"sagemaker:DescribeCompilationJob", "sagemaker:ListTags"}
    assert resources_of(read) == [f"{jobs}*"] and "Condition" not in read


def test_many_jobs_share_one_scoped_statement(built: Built) -> None:
    stack = built.stacks["Many"]
    statements = statements_with(
        statements_of_role(built.template("Many"), stack, handler_of(stack).role), "sagemaker:CreateCompilationJob"
    )
    assert [resources_of(s) for s in statements] == [
        [f"arn:${{AWS::Partition}}:sagemaker:us-east-1:123456789012:compilation-job/{stack_prefix('Many')}*"]
    ]


def test_pass_role_only_on_job_roles_and_only_to_sagemaker(built: Built) -> None:
    stack = built.stacks["Jobs"]
    statements = statements_with(
        statements_of_role(built.template("Jobs"), stack, handler_of(stack).role), "iam:PassRole"
    )
    assert len(statements) == 1
    (statement,) = statements
    assert actions_of(statement) == ["iam:PassRole"]
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    job_roles = {"${" + lid(stack, j.role) + ".Arn}" for k, j in built.jobs.items() if k.startswith("Jobs.")}
    assert set(resources_of(statement)) == job_roles
    assert len(job_roles) == 7


def test_shared_job_role_adds_no_new_pass_role(built: Built) -> None:
    stack = built.stacks["Many"]
    statements = statements_with(
        statements_of_role(built.template("Many"), stack, handler_of(stack).role), "iam:PassRole"
    )
    assert len(statements) == 1
    resources = resources_of(statements[0])
    shared = "${" + lid(stack, built.extra["shared_role"]) + ".Arn}"
    assert resources.count(shared) == 1
    assert len(resources) == 3  # the shared role and the two created ones


def test_handover_permission_is_self_invocation_only_and_in_a_separate_policy(built: Built) -> None:
    stack = built.stacks["Jobs"]
    handler = handler_of(stack)
    policies = policies_of_role(built.template("Jobs"), stack, handler.role)
    default_id = stack.get_logical_id(handler.role.node.find_child("DefaultPolicy").node.default_child)  # type: ignore[arg-type]
    assert not [s for s in policies[default_id] if any(a.startswith(("lambda:", "events:")) for a in actions_of(s))]
    handover = {pid: st for pid, st in policies.items() if pid != default_id}
    assert len(handover) == 1
    ((statement,),) = handover.values()
    function = "${" + lid(stack, handler.function) + ".Arn}"
    assert actions_of(statement) == ["lambda:InvokeFunction"]
    assert resources_of(statement) == [function, function + ":*"]


def test_no_permission_left_for_eventbridge_polling(built: Built) -> None:
    stack = built.stacks["Jobs"]
    statements = statements_of_role(built.template("Jobs"), stack, handler_of(stack).role)
    actions = {a for s in statements for a in actions_of(s)}
    assert not [
        a for a in actions if a.startswith("events:") or a in ("lambda:AddPermission", "lambda:RemovePermission")
    ]


def test_stack_check_is_describe_stack_resource_and_stacks_on_this_stack_only(built: Built) -> None:
    stack = built.stacks["Jobs"]
    statements = statements_of_role(built.template("Jobs"), stack, handler_of(stack).role)
    (check,) = statements_with(statements, "cloudformation:DescribeStackResource")
    # DescribeStacks (issue 15 defect 9): whether the stack rolls back.
    assert actions_of(check) == ["cloudformation:DescribeStackResource", "cloudformation:DescribeStacks"]
    assert check["Resource"] == {"Ref": "AWS::StackId"}


def test_handler_role_has_no_wildcard_resources(built: Built) -> None:
    for name in ("Jobs", "Many"):
        stack = built.stacks[name]
        for statement in statements_of_role(built.template(name), stack, handler_of(stack).role):
            assert "*" not in resources_of(statement), statement


def test_handler_can_stage_the_asset_and_describe_the_package(built: Built) -> None:
    stack = built.stacks["Jobs"]
    statements = statements_of_role(built.template("Jobs"), stack, handler_of(stack).role)
    stage_from = built.props("Jobs.asset")["Options"]["StageModelFrom"]
    asset_key = stage_from.split("/", 3)[3]
    (read,) = [s for s in statements_with(statements, "s3:GetObject") if any(asset_key in r for r in resources_of(s))]
    assert resources_of(read) == [
        f"arn:${{AWS::Partition}}:s3:::cdk-hnb659fds-assets-123456789012-us-east-1/{asset_key}"
    ]
    staged = flat(built.props("Jobs.asset")["InputConfig"]["S3Uri"]).split("}/", 1)[1]
    (put,) = statements_with(statements, "s3:PutObject")
    assert [r.split("}", 1)[1] for r in resources_of(put)] == ["/" + staged]
    (describe,) = statements_with(statements, "sagemaker:DescribeModelPackage")
    assert resources_of(describe) == [PACKAGE_ARN]


# --- the job role ------------------------------------------------------------------------
def test_job_role_is_assumed_by_sagemaker(built: Built) -> None:
    stack = built.stacks["Jobs"]
    role = built.json("Jobs")["Resources"][lid(stack, built.jobs["Jobs.basic"].role)]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert "ManagedPolicyArns" not in role["Properties"]


def test_job_role_reads_exactly_the_model_object_and_writes_its_own_prefix(built: Built) -> None:
    stack = built.stacks["Jobs"]
    job = built.jobs["Jobs.basic"]
    statements = statements_of_role(built.template("Jobs"), stack, job.role)
    models, out = lid(stack, stack.node.find_child("Models")), lid(stack, stack.node.find_child("Out"))
    (read,) = statements_with(statements, "s3:GetObject")
    assert resources_of(read) == ["${" + models + ".Arn}/models/resnet18.tar.gz"]
    (write,) = statements_with(statements, "s3:PutObject")
    assert resources_of(write) == ["${" + out + ".Arn}/compiled/" + job.compilation_job_name + "/*"]
    assert not [s for s in statements if any(a.startswith("s3:List") for a in actions_of(s))]
    assert not [s for s in statements if any(a.startswith("kms:") for a in actions_of(s))]


def test_job_role_reads_exactly_an_s3_uri_model(built: Built) -> None:
    stack = built.stacks["Jobs"]
    statements = statements_of_role(built.template("Jobs"), stack, built.jobs["Jobs.vpc"].role)
    (read,) = statements_with(statements, "s3:GetObject")
    assert resources_of(read) == ["arn:${AWS::Partition}:s3:::external-models/vision/resnet50.tar.gz"]


def test_job_role_reads_the_staged_asset_copy(built: Built) -> None:
    stack = built.stacks["Jobs"]
    statements = statements_of_role(built.template("Jobs"), stack, built.jobs["Jobs.asset"].role)
    (read,) = statements_with(statements, "s3:GetObject")
    staged = flat(built.props("Jobs.asset")["InputConfig"]["S3Uri"]).split("}/", 1)[1]
    assert [r.split("}", 1)[1] for r in resources_of(read)] == ["/" + staged]


def test_job_role_uses_the_kms_key_when_given(built: Built) -> None:
    stack = built.stacks["Jobs"]
    statements = statements_of_role(built.template("Jobs"), stack, built.jobs["Jobs.platform"].role)
    kms_statements = [s for s in statements if any(a.startswith("kms:") for a in actions_of(s))]
    assert kms_statements
    key = "${" + lid(stack, built.extra["key"]) + ".Arn}"
    assert all(resources_of(s) == [key] for s in kms_statements)
    actions = {a for s in kms_statements for a in actions_of(s)}
    assert {"kms:Encrypt", "kms:Decrypt"} <= actions
    assert any(a.startswith("kms:GenerateDataKey") for a in actions)


def test_job_role_wildcards_are_only_metrics_and_vpc_enis(built: Built) -> None:
    stack = built.stacks["Jobs"]
    statements = statements_of_role(built.template("Jobs"), stack, built.jobs["Jobs.vpc"].role)
    wildcard = [s for s in statements if "*" in resources_of(s)]
    assert {a.split(":")[0] for s in wildcard for a in actions_of(s)} == {"cloudwatch", "ec2"}
    (metrics,) = statements_with(wildcard, "cloudwatch:PutMetricData")
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "AWS/SageMaker"}}
    assert "ec2:CreateNetworkInterface" in actions_of(statements_with(wildcard, "ec2:CreateNetworkInterface")[0])


def test_shared_role_gets_one_output_grant_covering_the_stacks_generated_names(built: Built) -> None:
    stack = built.stacks["Many"]
    statements = statements_of_role(built.template("Many"), stack, built.extra["shared_role"])
    puts = [r for s in statements_with(statements, "s3:PutObject") for r in resources_of(s)]
    assert [r.split("}", 1)[1] for r in puts] == [f"/{stack_prefix('Many')}*"]  # one statement, not one per job
    for i in range(3):
        assert built.jobs[f"Many.job{i}"].compilation_job_name.startswith(stack_prefix("Many"))


# --- warnings ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/Warnings/Xgb", r"data_input_config is not used for XGBOOST"),
        ("/Warnings/PytorchNhwc", r"data_input_config\[input0\] \[1, 224, 224, 3\] looks NHWC; PYTORCH expects NCHW"),
        ("/Warnings/KerasNhwc", r"looks NHWC; KERAS expects NCHW"),
        ("/Warnings/MxnetNhwc", r"looks NHWC; MXNET expects NCHW"),
        ("/Warnings/OnnxNhwc", r"looks NHWC; ONNX expects NCHW"),
        ("/Warnings/TensorflowNchw", r"looks NCHW; TENSORFLOW expects NHWC"),
    ],
)
def test_warning_is_added(built: Built, path: str, message: str) -> None:
    built.annotations("Warnings").has_warning(path, Match.string_like_regexp(message))


@pytest.mark.parametrize("path", ["/Warnings/PytorchNchw", "/Warnings/TensorflowNhwc", "/Warnings/XgbNoConfig"])
def test_no_warning_for_the_expected_layout(built: Built, path: str) -> None:
    built.annotations("Warnings").has_no_warning(path, Match.any_value())


def test_warnings_can_be_acknowledged(built: Built) -> None:
    warnings = built.annotations("Warnings").find_warning("/Warnings/Xgb", Match.any_value())
    assert any("[ack: sagemaker-constructs:xgboostDataInput]" in str(w.entry.data) for w in warnings)


# --- tokens --------------------------------------------------------------------------
def test_token_explicit_name_is_used_unchanged(built: Built) -> None:
    props = built.props("Tokens.named")
    assert props["CompilationJobName"] == {"Ref": "JobName"}
    stack = built.stacks["Tokens"]
    (statement,) = statements_with(
        statements_of_role(built.template("Tokens"), stack, handler_of(stack).role), "sagemaker:CreateCompilationJob"
    )
    resources = resources_of(statement)
    assert "arn:${AWS::Partition}:sagemaker:us-east-1:123456789012:compilation-job/${JobName}" in resources
    assert not [r for r in resources if "${token[" in r.lower()]


def test_token_model_uri_warns_that_read_is_not_granted(built: Built) -> None:
    assert built.props("Tokens.named")["InputConfig"]["S3Uri"] == {"Ref": "ModelUri"}
    built.annotations("Tokens").has_warning("/Tokens/Named", Match.string_like_regexp("no read access to a model URI"))


def test_partly_token_model_uri_is_granted_by_its_parts(built: Built) -> None:
    stack = built.stacks["Tokens"]
    statements = statements_of_role(built.template("Tokens"), stack, built.jobs["Tokens.partial"].role)
    (read,) = statements_with(statements, "s3:GetObject")
    assert resources_of(read) == ["arn:${AWS::Partition}:s3:::${ModelBucket}/m/x.tar.gz"]
    built.annotations("Tokens").has_no_warning("/Tokens/Partial", Match.any_value())


# --- imported jobs ---------------------------------------------------------------------
def test_imported_job_arn_uses_the_lowercased_name() -> None:
    stack = Stack(App(), "Importing")
    imported = CompilationJob.from_compilation_job_name(stack, "Imported", "My-Job")
    assert imported.compilation_job_name == "My-Job"
    resolved = stack.resolve(imported.compilation_job_arn)
    assert resolved["Fn::Join"][1][-1] == ":compilation-job/my-job"
