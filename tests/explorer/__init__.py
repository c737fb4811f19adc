"""The explorer: generated schedules of CloudFormation, Lambda and SageMaker behaviour,
run against the bundled handlers, with invariants checked after each (issue 15, section 3).

* :mod:`.app` synthesizes a small app once (the handler role's policy, the generated names);
* :mod:`.policy` derives each stack version's policy from it, for the fakes to enforce;
* :mod:`.kinds` one spec per resource kind (a new kind is one more spec);
* :mod:`.schedule` draws a schedule from a seed (plain data, printable);
* :mod:`.model` plays it: CloudFormation's side on the world's virtual clock, Lambda's delivery;
* :mod:`.invariants` the five checks; :mod:`.explore` runs seeds (``make explore``).
"""
