"""Where a CompilationJob's model comes from.

Each factory returns a :class:`ModelSource`; binding it to a job renders the
input fields and grants the job role read access to exactly that model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_cdk import Annotations, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from . import _model_archive, _nag, _s3, _search, _wire
from ._service_model import string_problems
from ._typecheck import check_arguments
from ._validation import Problem, is_token

if TYPE_CHECKING:
    from ._handler import HandlerFunction

S3_URI = re.compile(r"^s3://([^/]+)/(.+)$")

SEARCH_OPERATORS = (
    "Equals",
    "NotEquals",
    "GreaterThan",
    "GreaterThanOrEqualTo",
    "LessThan",
    "LessThanOrEqualTo",
    "Contains",
    "Exists",
    "NotExists",
    "In",
)
MAX_SEARCH_FILTERS = 20
FILTER_VALUE_MAX = 1024
READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"]
MODEL_S3_URI = "CreateCompilationJob.InputConfig.S3Uri"  # the service model's member, for its rules
MODEL_PACKAGE_ARN = "CreateCompilationJob.ModelPackageVersionArn"


def grant_object_read(role: iam.IRole, bucket: s3.IBucket, key: str) -> None:
    """s3:GetObject on exactly one object (``bucket.grant_read`` would add the
    whole bucket for List), and decrypt with the bucket's key if it has one.
    (CDK drops a statement that a policy already holds: a shared role asked
    twice for the same object or key holds one statement.)"""
    role.add_to_principal_policy(iam.PolicyStatement(actions=READ_ACTIONS, resources=[bucket.arn_for_objects(key)]))
    if bucket.encryption_key is not None:
        bucket.encryption_key.grant_decrypt(role)


def grant_model_read(handler: HandlerFunction, role: iam.IRole, bucket: s3.IBucket, key: str) -> None:
    """As :func:`grant_object_read`, for the models of many jobs: one statement per role
    and bucket (made through ``handler``), grown by each model's object, and the bucket's
    key granted when it is made. (With ``@aws-cdk/aws-iam:minimizePolicies`` CDK merges
    the one-object statements into this one anyway.)"""
    arn = bucket.arn_for_objects(key)
    created = handler.statement(("model-read", bucket), READ_ACTIONS, [arn], role=role)
    if created and bucket.encryption_key is not None:
        bucket.encryption_key.grant_decrypt(role)


def grant_object_write(role: iam.IRole, bucket: s3.IBucket, key_pattern: str) -> None:
    """s3:PutObject (and aborting its multipart uploads) on ``key_pattern`` only, and
    the bucket key's data-key actions (``bucket.grant_put`` adds ``s3:Abort*``,
    object tagging and retention, and ``kms:ReEncrypt*``/``kms:GenerateDataKey*``)."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:PutObject", "s3:AbortMultipartUpload"],
            resources=[bucket.arn_for_objects(key_pattern)],
        )
    )
    if bucket.encryption_key is not None:
        bucket.encryption_key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")


_ASSETS_ATTRIBUTE = "_sagemaker_constructs_model_assets"  # on the stack object, like handler_for's registry


def _model_asset(scope: Construct, path: str) -> s3_assets.Asset:
    """One CDK file asset per model file and stack, however many jobs compile it: the first
    job to bind it holds it (``ModelAsset``), and the others share it."""
    stack = Stack.of(scope)
    assets: dict[str, s3_assets.Asset] = stack.__dict__.setdefault(_ASSETS_ATTRIBUTE, {})
    if path not in assets:
        assets[path] = s3_assets.Asset(scope, "ModelAsset", path=path)
    return assets[path]


@dataclass
class ModelBinding:
    """What a bound source contributes to the custom resource."""

    s3_uri: str | None = None  # InputConfig.S3Uri (None: model package or resolved at deploy time)
    stage_from: str | None = None  # asset object to copy to s3_uri at deploy time
    model_package_arn: str | None = None
    deploy_time_source: dict[str, Any] | None = None
    version: str | None = None
    identity: Any = None  # feeds the generated name


@dataclass(frozen=True)
class ModelBindOptions:
    """What a source binds to (as ``S3LocationBindOptions`` for ``S3Location.bind``)."""

    role: iam.IRole  # the job role: read on the model
    staging_bucket: s3.IBucket  # where an asset is copied to (the job's output bucket) ...
    staging_prefix: str  # ... below this prefix
    handler: HandlerFunction  # the stack's handler, for what it does at deploy time


@dataclass(frozen=True)
class SearchFilter:
    """One Search filter on TrainingJob properties (a Search ``Filter``),
    checked when created: a bad operator or value raises ``ValueError``.

    :param name: the property, e.g. ``TrainingJobName``, ``TrainingJobStatus``,
        ``Metrics.validation:accuracy``, ``HyperParameters.<name>``, ``Tags.<key>``.
    :param operator: one of the Search operators. Default: ``Equals``.
    :param value: ``In`` takes a list of values (sent comma-separated, as the
        API wants); ``Exists``/``NotExists`` take none; every other operator
        takes one string. Unresolved tokens are not checked.
    """

    name: str
    operator: str = "Equals"
    value: str | Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.operator == "In" and isinstance(self.value, (list, tuple)):
            object.__setattr__(self, "value", tuple(self.value))  # frozen: keep it immutable too
        problems = self._problems()
        if problems:
            raise ValueError(f"SearchFilter {self.name!r}: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= 255:
            return [f"name must be a string of 1 to 255 characters (got {self.name!r})"]
        if self.operator not in SEARCH_OPERATORS:
            return [f"operator must be one of {', '.join(SEARCH_OPERATORS)} (got {self.operator!r})"]
        value = self.value
        if self.operator in ("Exists", "NotExists"):
            return [] if value is None else [f"operator {self.operator} takes no value (got {value!r})"]
        if self.operator == "In":
            return self._in_problems()
        if not isinstance(value, str) or value == "":
            return [f"operator {self.operator} takes one non-empty string value (got {value!r})"]
        if not Token.is_unresolved(value) and len(value) > FILTER_VALUE_MAX:
            return [f"value must be at most {FILTER_VALUE_MAX} characters (got {len(value)})"]
        return []

    def _in_problems(self) -> list[str]:
        values = self.value
        if isinstance(values, str) or not isinstance(values, tuple) or not values:
            return [f"operator In takes a non-empty list of values (got {values!r})"]
        bad = [v for v in values if not isinstance(v, str) or v == "" or ("," in v and not Token.is_unresolved(v))]
        if bad:
            return [f"operator In takes non-empty strings without commas (got {list(values)!r})"]
        joined = ",".join(values)
        if not Token.is_unresolved(joined) and len(joined) > FILTER_VALUE_MAX:
            rule = f"operator In values joined with commas must be at most {FILTER_VALUE_MAX} characters"
            return [f"{rule} (got {len(joined)})"]
        return []

    def to_api(self) -> dict[str, str]:
        """The Search ``Filter``: ``In`` values joined with commas."""
        rendered = {"Name": self.name, "Operator": self.operator}
        if isinstance(self.value, tuple):
            rendered["Value"] = ",".join(self.value)
        elif isinstance(self.value, str):
            rendered["Value"] = self.value
        return rendered


class ModelSource:
    """Where a CompilationJob's model comes from. Use the factories: ``from_bucket``,
    ``from_s3_uri``, ``from_asset``, ``from_model_package``, ``from_training_job``,
    ``from_best_training_job``. Each returns one small source class whose
    :meth:`bind` renders the model's input fields and makes its own grants."""

    # False where SageMaker takes the input configuration from the source itself (a model package).
    sends_input_config = True

    # --- factories ---------------------------------------------------------
    @staticmethod
    def from_bucket(bucket: s3.IBucket, key: str, version: str | None = None) -> ModelSource:
        """An object in a bucket of this app. ``version`` (any string: an object
        version, an ETag, a run id) feeds the generated name, so a new model at
        the same key recompiles."""
        check_arguments("ModelSource.from_bucket", ModelSource.from_bucket, bucket=bucket, key=key, version=version)
        return _BucketObject(bucket=bucket, key=key, version=version)

    @staticmethod
    def from_s3_uri(uri: str, version: str | None = None) -> ModelSource:
        """``s3://bucket/key.tar.gz`` (or ``https://``)."""
        check_arguments("ModelSource.from_s3_uri", ModelSource.from_s3_uri, uri=uri, version=version)
        return _S3Uri(uri=uri, version=version)

    @staticmethod
    def from_asset(path: str | Path) -> ModelSource:
        """A local ``.tar.gz``, uploaded as a CDK file asset and copied at
        deploy time to a ``.tar.gz`` key below the job's output prefix (CDK keys
        file assets by their last extension only: ``<hash>.gz``)."""
        check_arguments("ModelSource.from_asset", ModelSource.from_asset, path=path)
        # Absolute now: the jsii kernel resolves a relative path from its own working directory,
        # which need not be this process's.
        return _Asset(path=str(Path(path).absolute()))

    @staticmethod
    def from_model_package(model_package_version_arn: str) -> ModelSource:
        """A versioned model package (``ModelPackageVersionArn``)."""
        check_arguments(
            "ModelSource.from_model_package",
            ModelSource.from_model_package,
            model_package_version_arn=model_package_version_arn,
        )
        return _ModelPackage(arn=model_package_version_arn)

    @staticmethod
    def from_training_job(training_job_name: str, *, training_output_bucket: s3.IBucket) -> ModelSource:
        """The artifacts of a training job (``ModelArtifacts.S3ModelArtifacts``),
        read at deploy time with DescribeTrainingJob. The job must be Completed.

        :param training_job_name: ``TrainingJobName``.
        :param training_output_bucket: the bucket the training job wrote its
            artifacts to; the job role may read it (the key is only known at
            deploy time). The CompilationJob answers the name and artifact URI
            as ``source_training_job_name`` and ``source_model_s3_uri``.
        """
        check_arguments(
            "ModelSource.from_training_job",
            ModelSource.from_training_job,
            training_job_name=training_job_name,
            training_output_bucket=training_output_bucket,
        )
        return _TrainingJob(training_job_name=training_job_name, bucket=training_output_bucket)

    @staticmethod
    def from_best_training_job(
        *,
        filters: Sequence[SearchFilter],
        training_output_bucket: s3.IBucket,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> ModelSource:
        """The artifacts of the top result of a Search on TrainingJob resources,
        at deploy time (Search, then DescribeTrainingJob). No match fails the deploy.

        :param filters: the Search ``Filters``, ANDed (1 to 20, one ``Contains`` at most).
        :param training_output_bucket: the bucket the training jobs wrote their
            artifacts to; the job role may read it.
        :param sort_by: ``SortBy``, e.g. ``Metrics.validation:accuracy``. Default: SageMaker's
            (LastModifiedTime).
        :param sort_order: ``SortOrder``, Ascending or Descending. Default: SageMaker's (Descending).
        """
        check_arguments(
            "ModelSource.from_best_training_job",
            ModelSource.from_best_training_job,
            filters=filters,
            training_output_bucket=training_output_bucket,
            sort_by=sort_by,
            sort_order=sort_order,
        )
        return _BestTrainingJob(
            filters=tuple(filters), bucket=training_output_bucket, sort_by=sort_by, sort_order=sort_order
        )

    # --- what each source does ----------------------------------------------
    def problems(self) -> list[Problem]:
        """What is wrong with this source (collected by the construct); tokens are skipped."""
        return []

    def bind(self, scope: Construct, options: ModelBindOptions) -> ModelBinding:
        """The input fields, with read on the model for the job role (and whatever the handler needs)."""
        raise NotImplementedError


def _archive_problems(uri: str | None) -> list[Problem]:
    if uri is None or is_token(uri) or uri.endswith(".tar.gz"):
        return []
    return [Problem("model", uri, "must end in .tar.gz (a gzip-compressed tar archive)")]


@dataclass
class _BucketObject(ModelSource):
    """``from_bucket``: read on exactly the object."""

    bucket: s3.IBucket
    key: str
    version: str | None = None

    def problems(self) -> list[Problem]:
        bucket_name = _s3.given_bucket_name(self.bucket)
        return _archive_problems(self.key) + _s3.object_problems("model", bucket_name, self.key, MODEL_S3_URI)

    def bind(self, scope: Construct, options: ModelBindOptions) -> ModelBinding:
        grant_model_read(options.handler, options.role, self.bucket, self.key)
        return ModelBinding(s3_uri=f"s3://{self.bucket.bucket_name}/{self.key}", version=self.version)


@dataclass
class _S3Uri(ModelSource):
    """``from_s3_uri``: read on the object a literal ``s3://bucket/key`` names; a warning otherwise."""

    uri: str
    version: str | None = None

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        if not is_token(self.uri) and not re.match(r"^(s3|https)://[^/]+/.+", self.uri):
            found.append(Problem("model", self.uri, "must be an s3:// or https:// URI of an object"))
        found.extend(_archive_problems(self.uri))
        if not found:
            found.extend(_s3.uri_problems("model", self.uri))
            found.extend(string_problems("model", self.uri, MODEL_S3_URI))
        return found

    def bind(self, scope: Construct, options: ModelBindOptions) -> ModelBinding:
        # Also matches a URI with tokens in it (s3://${Token}/models/x.tar.gz): the ARN then
        # holds the same tokens. A URI that is one token, or https://, cannot be scoped here.
        match = S3_URI.match(self.uri)
        if match:
            options.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[
                        Stack.of(scope).format_arn(
                            service="s3", region="", account="", resource=match.group(1), resource_name=match.group(2)
                        )
                    ],
                )
            )
        else:
            Annotations.of(scope).add_warning_v2(
                "sagemaker-constructs:modelReadNotGranted",
                "the job role gets no read access to a model URI that is not a literal s3://bucket/key; "
                "grant it s3:GetObject on the model yourself (or use ModelSource.from_bucket)",
            )
        return ModelBinding(s3_uri=self.uri, version=self.version)


@dataclass
class _Asset(ModelSource):
    """``from_asset``: the handler copies the asset object to a ``.tar.gz`` key below the
    job's output prefix, and the job reads the copy."""

    path: str

    def problems(self) -> list[Problem]:
        return _model_archive.asset_problems("model", self.path)

    def bind(self, scope: Construct, options: ModelBindOptions) -> ModelBinding:
        asset, handler, staging_bucket = _model_asset(scope, self.path), options.handler, options.staging_bucket
        staged_key = f"{options.staging_prefix}model-inputs/{asset.asset_hash}.tar.gz"
        grant_object_read(handler.role, asset.bucket, asset.s3_object_key)
        grant_object_write(handler.role, staging_bucket, staged_key)
        grant_object_read(options.role, staging_bucket, staged_key)
        return ModelBinding(
            s3_uri=f"s3://{staging_bucket.bucket_name}/{staged_key}",
            stage_from=asset.s3_object_url,
            identity=asset.asset_hash,
        )


@dataclass
class _ModelPackage(ModelSource):
    """``from_model_package``: the handler may describe the package; SageMaker reads it."""

    arn: str
    sends_input_config = False

    def problems(self) -> list[Problem]:
        return string_problems("model", self.arn, MODEL_PACKAGE_ARN)

    def bind(self, scope: Construct, options: ModelBindOptions) -> ModelBinding:
        options.handler.statement("model-packages", ["sagemaker:DescribeModelPackage"], [self.arn])
        return ModelBinding(model_package_arn=self.arn, identity=self.arn)


@dataclass
class _TrainingOutput(ModelSource):
    """A training job's artifacts, chosen at deploy time: read in its output bucket."""

    bucket: s3.IBucket

    def problems(self) -> list[Problem]:
        """The training output bucket's name (each source's own checks come first)."""
        return _s3.bucket_name_problems("training_output_bucket", _s3.given_bucket_name(self.bucket))

    def bind(self, scope: Construct, options: ModelBindOptions) -> ModelBinding:
        # The artifacts' key is only known at deploy time: GetObject on the training
        # output bucket's objects (not List or the bucket itself), and its key.
        grant_object_read(options.role, self.bucket, "*")
        _nag.acknowledge_wildcard_resource(
            options.role,
            self.bucket.arn_for_objects("*"),
            "The training job to compile is chosen at deploy time, and SageMaker names its artifact "
            "object (<job>/output/model.tar.gz); read is limited to GetObject in the training output bucket.",
        )
        source = self._grant_and_render(Stack.of(scope), options.handler)
        # No s3_uri: the handler sets InputConfig.S3Uri from the source at deploy time.
        return ModelBinding(deploy_time_source=source, identity=json.dumps(source, sort_keys=True))

    def _grant_and_render(self, stack: Stack, handler: HandlerFunction) -> dict[str, Any]:
        """The handler's grants for finding the job, and ``Options.ModelSource``."""
        raise NotImplementedError


@dataclass
class _TrainingJob(_TrainingOutput):
    """``from_training_job``: DescribeTrainingJob on that job."""

    training_job_name: str = ""

    def problems(self) -> list[Problem]:
        name, rule = self.training_job_name, _wire.TRAINING_JOB_NAME_RULE
        if not isinstance(name, str) or not (is_token(name) or rule.pattern.match(name)):
            return [Problem("training_job_name", name, rule.rule), *super().problems()]
        return super().problems()

    def _grant_and_render(self, stack: Stack, handler: HandlerFunction) -> dict[str, Any]:
        # SageMaker lowercases names in training-job ARNs; a token cannot be
        # lowercased at synth time, so it gets every training job.
        arn_name = "*" if Token.is_unresolved(self.training_job_name) else self.training_job_name.lower()
        handler.statement(
            "training-jobs",
            ["sagemaker:DescribeTrainingJob"],
            [stack.format_arn(service="sagemaker", resource="training-job", resource_name=arn_name)],
        )
        return {
            _wire.MODEL_SOURCE_TYPE: _wire.MODEL_SOURCE_TRAINING_JOB,
            _wire.MODEL_SOURCE_TRAINING_JOB_NAME: self.training_job_name,
        }


@dataclass
class _BestTrainingJob(_TrainingOutput):
    """``from_best_training_job``: Search, then DescribeTrainingJob of the one it finds."""

    filters: tuple[SearchFilter, ...] = field(default_factory=tuple)
    sort_by: str | None = None
    sort_order: str | None = None

    def problems(self) -> list[Problem]:
        """SearchFilter checks itself when made; these are the Search's own rules."""
        found: list[Problem] = []
        strays = [f for f in self.filters if not isinstance(f, SearchFilter)]
        if strays:
            found.append(Problem("filters", strays, "must hold SearchFilter objects"))
        if not self.filters:
            found.append(Problem("filters", [], "must hold at least one SearchFilter"))
        if len(self.filters) > MAX_SEARCH_FILTERS:
            found.append(Problem("filters", len(self.filters), f"must hold at most {MAX_SEARCH_FILTERS} filters"))
        contains = [f.name for f in self.filters if isinstance(f, SearchFilter) and f.operator == "Contains"]
        if len(contains) > 1:
            found.append(Problem("filters", contains, "may use the Contains operator only once (a Search allows one)"))
        if self.sort_order is not None and self.sort_order not in ("Ascending", "Descending"):
            found.append(Problem("sort_order", self.sort_order, "must be Ascending or Descending"))
        sort_by = self.sort_by
        if sort_by is not None and not isinstance(sort_by, str):
            found.append(Problem("sort_by", sort_by, "must be a string of 1 to 255 characters"))
        found.extend(_search.sort_by_problems(sort_by))
        return found + super().problems()

    def _grant_and_render(self, stack: Stack, handler: HandlerFunction) -> dict[str, Any]:
        # Search has no resource type in IAM (it cannot be scoped to
        # resources), so it needs "*"; DescribeTrainingJob of the chosen
        # job, unknown until deploy time, is scoped to training jobs.
        any_training_job = stack.format_arn(service="sagemaker", resource="training-job", resource_name="*")
        handler.statement("training-jobs", ["sagemaker:DescribeTrainingJob"], [any_training_job])
        if handler.statement("search", ["sagemaker:Search"], ["*"]):
            _nag.acknowledge_wildcard_resource(
                handler,
                "*",
                "sagemaker:Search has no resource type in IAM, so it cannot be scoped; it only reads "
                "metadata, and the handler uses it to find the best training job.",
            )
            _nag.acknowledge_wildcard_resource(
                handler,
                any_training_job,
                "The best training job is chosen by Search at deploy time, so its name is unknown at "
                "synth time; the statement allows only sagemaker:DescribeTrainingJob.",
            )
        source: dict[str, Any] = {
            _wire.MODEL_SOURCE_TYPE: _wire.MODEL_SOURCE_BEST_TRAINING_JOB,
            _wire.MODEL_SOURCE_SEARCH_EXPRESSION: {"Filters": [f.to_api() for f in self.filters]},
        }
        if self.sort_by:
            source[_wire.MODEL_SOURCE_SORT_BY] = self.sort_by
        if self.sort_order:
            source[_wire.MODEL_SOURCE_SORT_ORDER] = self.sort_order
        return source


__all__ = ["ModelBindOptions", "ModelBinding", "ModelSource", "SearchFilter"]
