"""Payment: findings in dollars.

A finding's units are priced from a fee schedule the user supplies (:mod:`.fees`), with
the therapy multiple-procedure reduction and the assistant reduction, and a patient's
yearly amounts are accrued against the KX threshold (:mod:`.threshold`).
"""
