"""``python -m bench``: this project's handlers against plain crhelper, and
synth size/time against the Provider framework and one Lambda per resource.

Everything runs offline: the handlers talk to the strict fake SageMaker of
``tests.harness`` under a simulated clock and a simulated EventBridge
scheduler; the synth figures come from cold ``python`` subprocesses.
"""
