"""TaskPrice: dollars, cents and tenths, and the reference's price lists."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from sagemaker_constructs import TaskPrice


# --- TaskPrice -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "parts"),
    [
        ("0.012", (0, 1, 2)),
        ("0.036", (0, 3, 6)),
        ("0.12", (0, 12, 0)),
        ("1.080", (1, 8, 0)),
        ("2.400", (2, 40, 0)),
    ],
)
def test_task_price_splits_dollars_cents_and_tenths(amount: str, parts: tuple[int, int, int]) -> None:
    price = TaskPrice.usd(amount)
    assert (price.dollars, price.cents, price.tenth_fractions_of_a_cent) == parts
    assert price.to_api() == {
        "AmountInUsd": {"Dollars": parts[0], "Cents": parts[1], "TenthFractionsOfACent": parts[2]}
    }


@pytest.mark.parametrize("amount", ["0.05", "0.037", "2.5", "3", "-0.036", "0"])
def test_task_price_off_every_list_raises_listing_the_valid_ones(amount: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(amount))) as raised:
        TaskPrice.usd(amount)
    assert "0.012, 0.024, 0.036" in str(raised.value) and "2.400" in str(raised.value)


def test_task_price_that_is_not_a_number_raises() -> None:
    with pytest.raises(ValueError, match="not a price SageMaker accepts"):
        TaskPrice.usd("a dollar")


def test_task_price_lists_are_the_references() -> None:
    assert TaskPrice.TEXTRACT_FORMS[0] == Decimal("0.012") and TaskPrice.TEXTRACT_FORMS[-1] == Decimal("2.400")
    assert len(TaskPrice.TEXTRACT_FORMS) == 26
    assert len(TaskPrice.REKOGNITION_MODERATION) == len(TaskPrice.A2I_CUSTOM) == 16
    assert TaskPrice.SEMANTIC_SEGMENTATION == tuple(Decimal(v) for v in ("0.840", "0.960", "1.080", "1.200"))
    assert Decimal("0.012") not in TaskPrice.BOUNDING_BOX
