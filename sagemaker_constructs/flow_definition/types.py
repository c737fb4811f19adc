"""The value types of a FlowDefinition: the request source and the task price."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any


class HumanLoopRequestSource(str, Enum):
    """``HumanLoopRequestSource.AwsManagedHumanLoopRequestSource``: the AWS service
    whose results are reviewed. Omit it for a custom task type (``StartHumanLoop``)."""

    REKOGNITION_DETECT_MODERATION_LABELS_IMAGE_V3 = "AWS/Rekognition/DetectModerationLabels/Image/V3"
    TEXTRACT_ANALYZE_DOCUMENT_FORMS_V1 = "AWS/Textract/AnalyzeDocument/Forms/V1"


# --- task prices --------------------------------------------------------------------
def _prices(*values: str) -> tuple[Decimal, ...]:
    return tuple(sorted(Decimal(v) for v in values))


_SMALL = ("0.012", "0.024", "0.036", "0.048", "0.060", "0.072")
_STEPS_TO_1_20 = ("0.120", "0.240", "0.360", "0.480", "0.600", "0.720", "0.840", "0.960", "1.080", "1.200")


class TaskPrice:
    """``HumanLoopConfig.PublicWorkforceTaskPrice``: what a public (Mechanical Turk)
    worker is paid per task, in US dollars.

    The lists are the reference's (``PublicWorkforceTaskPrice``): a price must be
    on one of them, and the construct checks it against the list for its task type.
    """

    BOUNDING_BOX = _prices(*_SMALL[2:], *_STEPS_TO_1_20)
    CLASSIFICATION = _prices(*_SMALL, *_STEPS_TO_1_20)  # image/text classification and custom labeling tasks
    SEMANTIC_SEGMENTATION = _prices("0.840", "0.960", "1.080", "1.200")
    TEXTRACT_FORMS = _prices(
        *_SMALL,
        *_STEPS_TO_1_20,
        "1.320",
        "1.440",
        "1.560",
        "1.680",
        "1.800",
        "1.920",
        "2.040",
        "2.160",
        "2.280",
        "2.400",
    )
    REKOGNITION_MODERATION = _prices(*_SMALL, *_STEPS_TO_1_20)
    A2I_CUSTOM = _prices(*_SMALL, *_STEPS_TO_1_20)
    ALL = tuple(
        sorted(
            set(
                BOUNDING_BOX
                + CLASSIFICATION
                + SEMANTIC_SEGMENTATION
                + TEXTRACT_FORMS
                + REKOGNITION_MODERATION
                + A2I_CUSTOM
            )
        )
    )

    def __init__(self, amount: Decimal) -> None:
        self.amount = amount
        thousandths = int(amount * 1000)
        self.dollars = thousandths // 1000
        self.cents = (thousandths // 10) % 100
        self.tenth_fractions_of_a_cent = thousandths % 10

    @staticmethod
    def usd(amount: str) -> TaskPrice:
        """A price in US dollars as a decimal string, e.g. ``TaskPrice.usd("0.036")``.

        Raises ValueError at once for an amount on none of the reference's price lists."""
        try:
            value = Decimal(str(amount).strip())
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value not in TaskPrice.ALL:
            raise ValueError(
                f"TaskPrice.usd: {amount!r} is not a price SageMaker accepts; valid prices (USD): "
                + ", ".join(TaskPrice.format(p) for p in TaskPrice.ALL)
            )
        return TaskPrice(value)

    @staticmethod
    def format(amount: Decimal) -> str:
        return f"{amount:.3f}"

    def __repr__(self) -> str:
        return f"TaskPrice.usd({self.format(self.amount)!r})"

    def to_api(self) -> dict[str, Any]:
        return {
            "AmountInUsd": {
                "Dollars": self.dollars,
                "Cents": self.cents,
                "TenthFractionsOfACent": self.tenth_fractions_of_a_cent,
            }
        }


def price_list_for(source: HumanLoopRequestSource | None) -> tuple[str, tuple[Decimal, ...]]:
    if source is HumanLoopRequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS_V1:
        return "Textract AnalyzeDocument forms review tasks", TaskPrice.TEXTRACT_FORMS
    if source is HumanLoopRequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE_V3:
        return "Rekognition DetectModerationLabels review tasks", TaskPrice.REKOGNITION_MODERATION
    return "Amazon Augmented AI custom human review tasks", TaskPrice.A2I_CUSTOM
