"""The real account the ``aws`` suite runs in (see conftest.py)."""

from __future__ import annotations

import uuid
from typing import Any


class Account:
    """A boto3 session on the real account, with the clients configured as the handler's."""

    def __init__(self, session: Any, region: str, account_id: str, config: Any) -> None:
        self.session = session
        self.region = region
        self.account_id = account_id
        self.config = config
        self.run_id = uuid.uuid4().hex[:8]
        # The "stack" that owns what this session creates (no stack exists: no CloudFormation here).
        self.stack_id = f"arn:aws:cloudformation:{region}:{account_id}:stack/smc-aws-test/{uuid.uuid4()}"

    def client(self, service: str) -> Any:
        return self.session.client(service, config=self.config)

    def name(self, what: str) -> str:
        return f"smc-aws-test-{what}-{self.run_id}"
