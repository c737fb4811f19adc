"""Integration app: a flow definition over a native ``CfnHumanTaskUi`` becomes Active.

The stack under test holds a worker task template (``AWS::SageMaker::HumanTaskUi``
from ``integ/worker_template.liquid.html``) and a ``FlowDefinition`` for a custom
task type that uses it. Its assertions, each of which fails the deploy:

* ``DescribeHumanTaskUi`` says ``Active``;
* ``DescribeFlowDefinition`` says ``Active`` and names that task UI;
* ``ListTags`` on the flow definition's ARN shows the ownership tag naming this
  stack (botocore's list of taggable resources names no flow definitions).

A flow definition needs a real work team: ``-c workteam_arn=...`` or
``SMC_INTEG_WORKTEAM_ARN``. Without one the app uses a placeholder ARN (so the
snapshot does not change) and ``scripts/integ.py`` skips it.

    npx --no-install cdk deploy --app ".venv/bin/python -m integ.integ_flow_definition" --all -c workteam_arn=arn:aws:sagemaker:...:workteam/private-crowd/NAME
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import App, Duration
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.integ_tests_alpha import ExpectedResult

from integ.common import PLACEHOLDER, Input, IntegApp, integ_app, must_be_owned_by, must_have, scratch_bucket
from sagemaker_constructs import FlowDefinition

NAME = "FlowDefinition"
WORKTEAM = Input("workteam_arn", "SMC_INTEG_WORKTEAM_ARN", "the ARN of a private work team in the account and region")
REQUIRED = (WORKTEAM,)  # what scripts/integ.py needs given before it deploys this app
TEMPLATE = Path(__file__).resolve().parent / "worker_template.liquid.html"
TASK_UI_NAME = "integ-flow-definition-review"  # fixed: one run at a time per account and region


def build(app: App) -> IntegApp:
    stack, finish = integ_app(app, NAME, REQUIRED)
    workteam_arn = WORKTEAM.value(app) or stack.format_arn(
        service="sagemaker", resource="workteam", resource_name=f"private-crowd/{PLACEHOLDER}"
    )
    task_ui = sagemaker.CfnHumanTaskUi(
        stack,
        "ReviewTemplate",
        human_task_ui_name=TASK_UI_NAME,
        ui_template=sagemaker.CfnHumanTaskUi.UiTemplateProperty(content=TEMPLATE.read_text(encoding="utf-8")),
    )
    flow = FlowDefinition(
        stack,
        "Review",
        workteam_arn=workteam_arn,
        human_task_ui_arn=task_ui.attr_human_task_ui_arn,
        task_title="Check the model's answer",
        task_description="Say whether the model's answer fits the text",
        task_count=1,
        task_time_limit=Duration.minutes(5),
        output_bucket=scratch_bucket(stack, "Reviews"),
        output_prefix="reviews/",
    )
    integ = finish()
    assertions = integ.test.assertions

    ui = assertions.aws_api_call("SageMaker", "describeHumanTaskUi", {"HumanTaskUiName": TASK_UI_NAME})
    must_have(ui, {"TaskUiActive": ("HumanTaskUiStatus", ExpectedResult.exact("Active"))})
    describe = assertions.aws_api_call(
        "SageMaker", "describeFlowDefinition", {"FlowDefinitionName": flow.flow_definition_name}
    )
    must_have(
        describe,
        {
            "FlowDefinitionActive": ("FlowDefinitionStatus", ExpectedResult.exact("Active")),
            "FlowDefinitionUsesTheTaskUi": (
                "HumanLoopConfig.HumanTaskUiArn",
                ExpectedResult.exact(task_ui.attr_human_task_ui_arn),
            ),
        },
    )
    must_be_owned_by(assertions, stack, flow.flow_definition_arn)
    return integ


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
