"""The EventBridge events of a flow definition's human loops.

Augmented AI sends ``SageMaker A2I HumanLoop Status Change`` from ``aws.sagemaker``
when a human loop's status becomes Completed, Failed or Stopped; the event's
``detail.flowDefinitionArn`` names the flow definition the loop belongs to.
"""

from __future__ import annotations

from aws_cdk import aws_events as events

from .._validation import Problem, Problems

SOURCE = "aws.sagemaker"
HUMAN_LOOP_STATUS_CHANGE = "SageMaker A2I HumanLoop Status Change"
RULE_NAME_PATTERN = r"[\.\-_A-Za-z0-9]+"  # EventBridge PutRule Name, 1 to 64 characters


def human_loop_status_change(flow_definition_arn: str) -> events.EventPattern:
    """This flow definition's human-loop status changes, and no other's."""
    return events.EventPattern(
        source=[SOURCE],
        detail_type=[HUMAN_LOOP_STATUS_CHANGE],
        detail={"flowDefinitionArn": [flow_definition_arn]},
    )


def rule_problems(description: str | None, rule_name: str | None) -> list[Problem]:
    found = Problems()
    found.check_pattern("rule_name", rule_name, RULE_NAME_PATTERN, "[.-_A-Za-z0-9]+ (letters, digits, . - _)")
    found.check_length("rule_name", rule_name, 1, 64)
    found.check_length("description", description, 0, 512)
    return found
