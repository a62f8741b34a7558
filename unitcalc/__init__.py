"""unitcalc: billable units for timed therapy codes, with the reasoning shown.

The public API for billing scripts:

>>> import unitcalc
>>> result = unitcalc.calculate({"97110": 33, "97140": 7}, rule="cms")
>>> result.total_units, dict(result.units)
(3, {'97110': 2, '97140': 1})
"""

from importlib.metadata import PackageNotFoundError, version

from .audit import STATUSES, Finding, audit
from .batch import FileProblem, iter_findings
from .codes import CodeInfo, CodeTable, define_code
from .engine import DEFAULT_MAX_ALTERNATIVES, calculate
from .errors import (
    CodeTableError,
    DeletedCodeError,
    InvalidServiceError,
    UnitcalcError,
    UnknownCodeError,
    UnknownRuleError,
)
from .model import LineResult, Result, ServiceLine, Tie, TieGroup
from .rules import RULES, Rule, get_rule

try:
    __version__ = version("unitcalc")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "DEFAULT_MAX_ALTERNATIVES",
    "RULES",
    "STATUSES",
    "CodeInfo",
    "CodeTable",
    "CodeTableError",
    "DeletedCodeError",
    "FileProblem",
    "Finding",
    "InvalidServiceError",
    "LineResult",
    "Result",
    "Rule",
    "ServiceLine",
    "Tie",
    "TieGroup",
    "UnitcalcError",
    "UnknownCodeError",
    "UnknownRuleError",
    "__version__",
    "audit",
    "calculate",
    "define_code",
    "get_rule",
    "iter_findings",
]
