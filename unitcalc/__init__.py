"""unitcalc: billable units for timed therapy codes, with the reasoning shown.

The public API for billing scripts:

>>> import unitcalc
>>> result = unitcalc.calculate({"97110": 33, "97140": 7}, rule="cms")
>>> result.total_units, dict(result.units)
(3, {'97110': 2, '97140': 1})

Remote therapeutic monitoring counts by the month, never by a day's minutes:

>>> month = unitcalc.calculate_month({"98980": 45}, month="2026-03")
>>> dict(month.units)
{'98980': 1, '98981': 1}
"""

from typing import TYPE_CHECKING, Any

from .core.codeinfo import CodeInfo
from .core.codes import CodeTable
from .core.definitions import define_code
from .core.errors import (
    CodeNotInForceError,
    CodeTableError,
    DeletedCodeError,
    InvalidServiceError,
    MonthlyCodeError,
    UnitcalcError,
    UnknownCodeError,
    UnknownRuleError,
    UnlistedCodeError,
)
from .core.model import LineResult, Note, Result, ServiceLine, Tie, TieGroup
from .engine.count import calculate
from .engine.settings import DEFAULT_MAX_ALTERNATIVES
from .rules import RULES, Rule, get_rule

if TYPE_CHECKING:
    from .core.assistant import AssistantOptions, AssistantPayment, AssistantSplit
    from .core.errors import FeeFileError
    from .engine.assistant import split_units
    from .engine.audit import STATUSES, Finding, audit
    from .engine.modifiers import (
        BilledLine,
        ModifierFinding,
        check_billed_lines,
        check_modifier_count,
    )
    from .engine.month_count import (
        MonthHistory,
        MonthLine,
        MonthOptions,
        MonthResult,
        audit_month,
        calculate_month,
    )
    from .files import FileProblem, iter_findings
    from .payment.fees import DayLine, FeeSchedule, load_fees, price_day
    from .payment.threshold import accrue

    __version__: str

# The file, audit and assistant modifier API and the version load on first use, so that a one-visit
# `unitcalc calc` starts quickly.
_LAZY = {
    "AssistantOptions": "core.assistant",
    "AssistantPayment": "core.assistant",
    "AssistantSplit": "core.assistant",
    "BilledLine": "engine.modifiers",
    "ModifierFinding": "engine.modifiers",
    "check_billed_lines": "engine.modifiers",
    "check_modifier_count": "engine.modifiers",
    "split_units": "engine.assistant",
    "MonthHistory": "engine.month_count",
    "MonthLine": "engine.month_count",
    "MonthOptions": "engine.month_count",
    "MonthResult": "engine.month_count",
    "audit_month": "engine.month_count",
    "calculate_month": "engine.month_count",
    "STATUSES": "engine.audit",
    "Finding": "engine.audit",
    "audit": "engine.audit",
    "FileProblem": "core.errors",
    "FeeFileError": "core.errors",
    "DayLine": "payment.fees",
    "FeeSchedule": "payment.fees",
    "load_fees": "payment.fees",
    "price_day": "payment.fees",
    "accrue": "payment.threshold",
    "iter_findings": "files",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("unitcalc")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0+unknown"
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'unitcalc' has no attribute {name!r}")


__all__ = [
    "DEFAULT_MAX_ALTERNATIVES",
    "RULES",
    "STATUSES",
    "AssistantOptions",
    "AssistantPayment",
    "AssistantSplit",
    "BilledLine",
    "CodeInfo",
    "CodeNotInForceError",
    "CodeTable",
    "CodeTableError",
    "DayLine",
    "DeletedCodeError",
    "FeeFileError",
    "FeeSchedule",
    "FileProblem",
    "Finding",
    "InvalidServiceError",
    "LineResult",
    "ModifierFinding",
    "MonthHistory",
    "MonthLine",
    "MonthOptions",
    "MonthResult",
    "MonthlyCodeError",
    "Note",
    "Result",
    "Rule",
    "ServiceLine",
    "Tie",
    "TieGroup",
    "UnitcalcError",
    "UnknownCodeError",
    "UnknownRuleError",
    "UnlistedCodeError",
    "__version__",
    "accrue",
    "audit",
    "audit_month",
    "calculate",
    "calculate_month",
    "check_billed_lines",
    "check_modifier_count",
    "define_code",
    "get_rule",
    "iter_findings",
    "load_fees",
    "price_day",
    "split_units",
]
