"""Integration apps: each ``integ_*.py`` is a CDK app with an ``IntegTest``.

``make test`` synthesizes them offline and compares their templates with
``tests/snapshots/integ_*.json``; ``make integ`` deploys and destroys them in a
real account (``scripts/integ.py``). See the README, "Integration tests".
"""
