"""FlowDefinition takes the native work team and worker UI (CfnWorkteam, CfnHumanTaskUi,
or anything with ``workteam_ref``/``human_task_ui_ref``) as well as ARN strings; the
references order the flow definition after them."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Template
from aws_cdk.interfaces import aws_sagemaker as sagemaker_refs

from sagemaker_constructs import FlowDefinition
from tests.constructs.flow_definition.inputs import ENV, UI, WORKTEAM, required


@pytest.fixture
def stack() -> Stack:
    return Stack(App(), "Refs", env=ENV)


def native_ui(stack: Stack) -> sagemaker.CfnHumanTaskUi:
    return sagemaker.CfnHumanTaskUi(
        stack,
        "Ui",
        human_task_ui_name="forms-ui",
        ui_template=sagemaker.CfnHumanTaskUi.UiTemplateProperty(content="<crowd-form></crowd-form>"),
    )


def native_workteam(stack: Stack) -> sagemaker.CfnWorkteam:
    return sagemaker.CfnWorkteam(
        stack,
        "Team",
        description="Reviewers",
        workteam_name="reviewers",
        member_definitions=[
            sagemaker.CfnWorkteam.MemberDefinitionProperty(
                cognito_member_definition=sagemaker.CfnWorkteam.CognitoMemberDefinitionProperty(
                    cognito_client_id="client", cognito_user_group="reviewers", cognito_user_pool="pool"
                )
            )
        ],
    )


def flow(stack: Stack, **overrides: Any) -> FlowDefinition:
    props = required(**overrides)
    for native, arn in (("human_task_ui", "human_task_ui_arn"), ("workteam", "workteam_arn")):
        if native in overrides and arn not in overrides:
            del props[arn]
    return FlowDefinition(stack, "Flow", **props)


def human_loop_config(stack: Stack) -> dict[str, Any]:
    (resource,) = Template.from_stack(stack).find_resources("Custom::SageMakerFlowDefinition").values()
    config: dict[str, Any] = resource["Properties"]["HumanLoopConfig"]
    return config


def test_a_cfn_human_task_ui_is_referenced_by_its_arn(stack: Stack) -> None:
    ui = native_ui(stack)
    flow(stack, human_task_ui=ui)
    # Ref of AWS::SageMaker::HumanTaskUi is its ARN: CloudFormation creates the UI first.
    assert human_loop_config(stack)["HumanTaskUiArn"] == {"Ref": stack.get_logical_id(ui)}
    assert human_loop_config(stack)["WorkteamArn"] == WORKTEAM


def test_a_cfn_workteam_is_referenced_by_its_arn(stack: Stack) -> None:
    team = native_workteam(stack)
    flow(stack, workteam=team)
    assert human_loop_config(stack)["WorkteamArn"] == {"Ref": stack.get_logical_id(team)}
    assert human_loop_config(stack)["HumanTaskUiArn"] == UI


def test_anything_with_a_ref_attribute_is_accepted_without_isinstance(stack: Stack) -> None:
    class MyUi:  # not an IHumanTaskUiRef subclass: recognised by the attribute alone
        human_task_ui_ref = sagemaker_refs.HumanTaskUiReference(human_task_ui_arn=UI.replace("forms-ui", "mine"))

    flow(stack, human_task_ui=MyUi())
    assert human_loop_config(stack)["HumanTaskUiArn"] == UI.replace("forms-ui", "mine")


def test_a_native_ui_in_another_stack_is_imported(stack: Stack) -> None:
    app = stack.node.root
    shared = Stack(app, "SharedUi", env=ENV)
    ui = native_ui(shared)
    flow(stack, human_task_ui=ui)
    assert "Fn::ImportValue" in human_loop_config(stack)["HumanTaskUiArn"]
    assert shared in stack.dependencies


def test_the_generated_name_follows_the_reference(stack: Stack) -> None:
    other = Stack(App(), "Refs", env=ENV)
    by_ref = flow(stack, human_task_ui=native_ui(stack))
    by_arn = flow(other)
    assert by_ref.flow_definition_name != by_arn.flow_definition_name


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"human_task_ui_arn": None}, r"human_task_ui/human_task_ui_arn exactly one of the two must be given"),
        ({"workteam_arn": None}, r"workteam/workteam_arn exactly one of the two must be given"),
    ],
    ids=["neither-ui", "neither-workteam"],
)
def test_neither_the_reference_nor_the_arn_is_an_error(stack: Stack, overrides: dict[str, Any], message: str) -> None:
    props = {k: v for k, v in required().items() if k not in overrides}
    with pytest.raises(ValueError, match=message):
        FlowDefinition(stack, "Flow", **props)


def test_both_the_reference_and_the_arn_is_an_error(stack: Stack) -> None:
    with pytest.raises(
        ValueError,
        match=r"human_task_ui/human_task_ui_arn exactly one of the two must be given "
        r"\(got \{'human_task_ui': '<given>', 'human_task_ui_arn': 'arn:aws:sagemaker:",
    ):
        FlowDefinition(stack, "Flow", **required(human_task_ui=native_ui(stack)))


@pytest.mark.parametrize(
    ("prop", "message"),
    [
        (
            "human_task_ui",
            (
                r"human_task_ui must be an IHumanTaskUiRef \(sagemaker\.CfnHumanTaskUi, or anything with "
                r"human_task_ui_ref\) or None \(got str 'arn:.*'\); for an ARN, use human_task_ui_arn instead"
            ),
        ),
        (
            "workteam",
            (
                r"workteam must be an IWorkteamRef \(sagemaker\.CfnWorkteam, or anything with workteam_ref\) "
                r"or None \(got str 'arn:.*'\); for an ARN, use workteam_arn instead"
            ),
        ),
    ],
)
def test_an_arn_string_for_the_native_property_is_a_type_error(stack: Stack, prop: str, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        flow(stack, **{prop: UI if prop == "human_task_ui" else WORKTEAM})


def _flow_name_with_ui(name: str, content: str) -> str:
    stack = Stack(App(), "Refs", env=ENV)
    ui = sagemaker.CfnHumanTaskUi(
        stack, "Ui", human_task_ui_name=name, ui_template=sagemaker.CfnHumanTaskUi.UiTemplateProperty(content=content)
    )
    return flow(stack, human_task_ui=ui).flow_definition_name


def test_a_replaced_ui_gives_the_flow_definition_a_new_name() -> None:
    """A new template or name replaces the UI: its ARN changes under the same Ref, so the flow
    definition must be replaced under a new name rather than updated in place (which fails)."""
    base = _flow_name_with_ui("forms-ui", "<crowd-form>a</crowd-form>")
    assert _flow_name_with_ui("forms-ui", "<crowd-form>a</crowd-form>") == base
    assert _flow_name_with_ui("forms-ui", "<crowd-form>b</crowd-form>") != base
    assert _flow_name_with_ui("forms-ui-2", "<crowd-form>a</crowd-form>") != base


def test_a_replaced_workteam_gives_the_flow_definition_a_new_name() -> None:
    def name(workteam_name: str) -> str:
        stack = Stack(App(), "Refs", env=ENV)
        team = native_workteam(stack)
        team.workteam_name = workteam_name
        return flow(stack, workteam=team).flow_definition_name

    assert name("reviewers") == name("reviewers")
    assert name("reviewers") != name("other-reviewers")
