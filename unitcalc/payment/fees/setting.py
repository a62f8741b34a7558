"""The biller's setting: which fee amount of the schedule prices a unit, and under which
section of the Social Security Act the service is paid, which decides the therapy
reduction (its 2011-2013 rate, and PFALL's reduced amount).

Medicare pays outpatient therapy under the Physician Fee Schedule in every setting, on
two kinds of claim (Pub. 100-04, Chapter 5, section 10):

- ``office``: a therapist in private practice or a physician's office, on a professional
  claim (CMS-1500), paid under section 1848: the non-facility amount; PFALL's first
  therapy-reduced amount ("office and other noninstitutional settings (services paid
  under section 1848 of the Act)"); a 20% PE reduction from 2011-01-01 to 2013-03-31;
- ``institutional``: a hospital outpatient department, a SNF's Part B patients, a CORF,
  a rehabilitation agency, on an institutional claim (UB-04), paid under section 1834(k)
  at the fee schedule amount: the non-facility amount, as freestanding offices are paid
  (HealthLeaders, "Six Years of Frozen Outpatient Rehab Payment Rates"); PFALL's second
  therapy-reduced amount ("an institutional setting (services paid under section 1834 of
  the Act)"); a 25% PE reduction from 2011-01-01 to 2013-03-31;
- ``facility``: a professional claim priced at the facility amount (the lower PE of a
  service in a facility place of service), paid under section 1848 like ``office``.

From 2013-04-01 the reduction is 50% of the PE in every setting.

References:
    CMS, Annual Physician Fee Schedule Payment Amount File, CY 2026 record layout.
    CMS Pub. 100-20, Transmittal 826, CR 7050 (the 2011 rates by setting).
    American Taxpayer Relief Act of 2012, section 633 (50% from 2013-04-01).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Setting = Literal["office", "institutional", "facility"]
SETTINGS: tuple[Setting, ...] = ("office", "institutional", "facility")
OLD_NAMES: Mapping[str, Setting] = {"non-facility": "office"}
"""Names the setting had before: ``non-facility`` chose the non-facility amount and
PFALL's section 1848 reduced amount, as ``office`` does."""

FeeColumn = Literal["non-facility", "facility"]
FEE_COLUMN: Mapping[Setting, FeeColumn] = {
    "office": "non-facility",
    "institutional": "non-facility",
    "facility": "facility",
}
"""The fee amount each setting is priced at."""

INSTITUTIONAL: frozenset[Setting] = frozenset({"institutional"})
"""The settings paid under section 1834(k) (an institutional claim); the others are paid
under section 1848."""


def setting_of(name: str) -> Setting | None:
    """The setting a name stands for (its own name or an old one); None for no setting.

    >>> setting_of("non-facility"), setting_of("institutional"), setting_of("hospital")
    ('office', 'institutional', None)
    """
    return next((setting for setting in SETTINGS if setting == name), OLD_NAMES.get(name))
