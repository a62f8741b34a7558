"""How a visit file is read and counted: the options of a run, shared by every step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs

from ..codes import CodeTable
from ..engine import Pooling
from ..mue import MueTable
from ..payers import PayerProfile

InputFormat = Literal["csv", "jsonl", "parquet"]
KNOWN_COLUMNS = (
    "code", "minutes", "discipline", "rule", "billed_units", "payer", "provider",
    "assistant_minutes", "modifiers", "cq_units",
)  # fmt: skip
KEY_COLUMNS_DAY = ("patient_id", "date_of_service")
KEY_COLUMN_VISIT = "visit_id"
DATE_COLUMN = "date_of_service"


@attrs.frozen
class Options:
    """How a file is read and counted."""

    rule: str | None = None
    """The rule for rows that name none (and no payer): cms by default."""
    group_by: tuple[str, ...] = ()
    input_format: InputFormat | None = None
    encoding: str = "utf-8"
    pooling: Pooling | None = None
    tie_preference: tuple[str, ...] | None = None
    codes: CodeTable | None = None
    strict: bool = False
    need_billed: bool = False
    payer: str | None = None
    """The payer profile for rows that name none."""
    profiles: Mapping[str, PayerProfile] = attrs.field(factory=dict)
    profiles_path: str = ""
    mue: MueTable | None = None
    delimiter: str = ","
    only_findings: bool = False
    """Only groups that are not ok (or trip an edit) need a finding built: ok groups
    are settled and counted in columns."""
    explain: bool = False
    """Findings carry the step-by-step explanation (built by the scalar engine)."""
