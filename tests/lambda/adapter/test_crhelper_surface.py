"""The adapter overrides two crhelper members and relies on a few more; an
upgrade of crhelper that changes any of them fails here, naming it."""

from __future__ import annotations

import hashlib
import inspect

import pytest
from crhelper.resource_helper import CfnResource

from tests.harness import load_handler

# sha256 of inspect.getsource(CfnResource.<member>) in crhelper 2.0.12.
FINGERPRINTS = {
    "__init__": "a9be06696666055f7c7a764d7a94f058de40dcbef7e87b3e53471ae3c3d4e480",
    "__call__": "384927b60a91557a929e4d5c785a38f2c9fc9f228d76a096a33a236e3ac3061b",
    "_crhelper_init": "8c8c8824e5efbe2cf5dc0f7b70971b748ba2f8f7fe88c306af10314cb2d0cf6e",
    "_cfn_response": "cb5d3213b05cac679c44388d309d1e2a324c641081cc9657954458c80bc895b7",
    "_get_func": "24905fbdbe7284cb0dff9b7720d78df84159341ba03d1c6d9a3db1b2fc705439",
    "_poll_enabled": "a7dea3b154245821504714bf39544da3bbdce9182505de8b15cae742bb00a3d3",
    "_set_timeout": "dd0681169335caf4c9a2ad59830b7d009ba2bf95f0ec51053f8a23e23978aad0",
    "_timeout": "bf110cc8d878100e411122a42df348ad977e301b943527cfb968d49ce8715982",
    "_wait_for_cwlogs": "80f473ca08bbeb68e5d9edc46c7c80c3c2659db2d5bfd1115162583068e9540d",
    "generate_physical_id": "0776208347082748b1fb1f7a70ae5987c4b788934729280d366a713cbbe39c52",
    "create": "47d3b859b644d7d3048c309a279f6b4a8013b5deb2e54ff33bc6c660012fc84f",
    "update": "c1a38bd088a25ab8747b3105758e796dd99e7f865ab5f4364cc658cccee49fad",
    "delete": "3d04435f6a487001a09b350328e8234df207f107232b254692987ca4d62a7563",
    "poll_create": "973323922babae1138019f59148ab8e68f48db6c06ee6ec75ed088191785c106",
    "poll_update": "566faa5aff9f56e25b169580412ece6666e0084b8a73d2e0ae4309f42f44371e",
    "poll_delete": "65fc6a02bf71c0a61bd92f03ed1470165dc1c324e26d27ebd3c1e7444fcdc5e5",
    "_polling_init": "0950e2acf1d05ebf05290780f847a96020ead671579bbaeb42768a29ad97e0a2",
    "_send": "5ae6b7a4f38e023851b44bb9d6e08d6cbdb511d168a80ffa10da2c5d1f2ed081",
}


def fingerprint(member: str) -> str:
    return hashlib.sha256(inspect.getsource(getattr(CfnResource, member)).encode()).hexdigest()


@pytest.mark.parametrize("member", sorted(FINGERPRINTS))
def test_crhelper_member_is_the_one_the_adapter_was_written_against(member: str) -> None:
    assert fingerprint(member) == FINGERPRINTS[member], f"crhelper changed CfnResource.{member}: review adapter.py"


def test_the_fingerprints_cover_everything_the_adapter_names() -> None:
    adapter = load_handler("compilation_job").adapter
    assert set(adapter.RELIED_ON) == set(FINGERPRINTS)


def test_the_adapter_overrides_exactly_the_members_it_lists() -> None:
    adapter = load_handler("compilation_job").adapter
    overridden = {
        name
        for name, value in vars(adapter.Adapter).items()
        if callable(value) and hasattr(CfnResource, name) and not name.startswith("__")
    }
    assert overridden == set(adapter.OVERRIDES) == {"_polling_init", "_send"}


def test_the_bundled_crhelper_is_the_pinned_one() -> None:
    import crhelper

    bundle = load_handler("compilation_job").bundle
    bundled = (bundle / "crhelper" / "resource_helper.py").read_text()
    assert bundled == inspect.getsource(inspect.getmodule(CfnResource))  # type: ignore[arg-type]
    assert crhelper.__file__


def test_crhelper_is_pinned_exactly() -> None:
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "crhelper==2.0.12" in deps
    assert "crhelper==2.0.12" in (root / "requirements.txt").read_text().split()
