"""FlowDefinition: an Amazon Augmented AI (A2I) human review workflow, created during ``cdk deploy``.

- :mod:`.construct`: the construct, imported flow definitions and ``IFlowDefinition``;
- :mod:`.props`: ``FlowDefinitionProps`` and their validation (a function of the props);
- :mod:`.types`: the value types ``HumanLoopRequestSource`` and ``TaskPrice``;
- :mod:`.conditions`: the activation conditions, checked and rendered;
- :mod:`.request`: the CreateFlowDefinition request, one function per API block;
- :mod:`.grants`: the flow role's, the handler's and the callers' IAM.

Input buckets and CORS
----------------------
Reviewers see the documents and images of a human loop in the worker task UI,
which fetches them from S3 with pre-signed GET requests from the browser. A2I
requires a CORS rule on every bucket that holds such input; without it, the
human review tasks for those objects fail. The rule the A2I documentation
gives (Permissions and Security in Amazon Augmented AI, "CORS Permission
Requirement") is :data:`INPUT_BUCKET_CORS_RULE`::

    [{"AllowedHeaders": [], "AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "ExposeHeaders": []}]

In CDK: ``bucket.add_cors_rule(allowed_methods=[s3.HttpMethods.GET], allowed_origins=["*"])``.
The construct does not change buckets it is given; pass them as
``input_buckets`` so the flow role can read them, and add the rule yourself.
"""

from .construct import FlowDefinition, IFlowDefinition
from .props import FlowDefinitionProps
from .types import HumanLoopRequestSource, TaskPrice

INPUT_BUCKET_CORS_RULE = (
    '[{"AllowedHeaders": [], "AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "ExposeHeaders": []}]'
)
"""The CORS configuration A2I requires on buckets holding what reviewers see (S3 console JSON format)."""

__all__ = [
    "INPUT_BUCKET_CORS_RULE",
    "FlowDefinition",
    "FlowDefinitionProps",
    "HumanLoopRequestSource",
    "IFlowDefinition",
    "TaskPrice",
]
