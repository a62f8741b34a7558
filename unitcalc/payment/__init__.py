"""Payment: findings in dollars.

A finding's units are priced from a fee schedule the user supplies: :mod:`.fees` reads
the fee file (one module per file format: the CMS PPRRVU file with its GPCI file, the
PFALL file, a plain CSV) into a :class:`~.fees.FeeSchedule`, then prices a patient's day
unit by unit, with the therapy multiple-procedure reduction and the assistant reduction
(:mod:`.fees.day`). Each claim line's allowed amount is then accrued, per patient, year
and bucket, against the KX threshold and the review threshold (:mod:`.threshold`), from
the packaged yearly amounts (:mod:`.fees.packaged`). A reviewed sample's overpayments
are extrapolated to the whole frame, the point estimate and the lower limit that PIM
ch.8 section 8.4 asks for, by :mod:`.estimate`.
"""
