"""``python -m sagemaker_constructs``: the same tool as ``sagemaker-constructs``."""

from sagemaker_constructs.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
