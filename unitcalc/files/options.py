"""How a visit file is read and counted: the options of a run, shared by every step."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs

from ..core.codes import CodeTable
from ..core.errors import FileProblem, Mention, Spelling, message_of, python_spelling
from ..core.mue import MueTable
from ..core.ptp import PtpTable
from ..engine.monthly import MonthOptions
from ..engine.payers import PayerProfile
from ..engine.ptp import MODIFIER_PLACEMENTS, ModifierPlacement
from ..engine.settings import POOLINGS, Pooling, Settings
from ..rules import Rule, RuleName

if TYPE_CHECKING:
    import polars as pl

    from .render import Rendering


class ColumnPricer(Protocol):
    """Prices the groups settled in columns from their rows (a part of the file at a
    time): :class:`unitcalc.files.price.Pricer`."""

    def price_groups(
        self,
        rows: pl.DataFrame,
        raw: pl.DataFrame,
        layout: Any,
        profiles: Mapping[str, PayerProfile],
        allowed: pl.DataFrame | None = None,
    ) -> Any:
        """Price the groups of ``rows``, the findings' allowed the units ``allowed``
        gives (:class:`unitcalc.files.price_frame.PricedGroups`)."""
        ...

    def adding(self, found: Any, *, part: bool = False, whole: bool = False) -> Callable[[], None]:
        """A function that adds prices (``PricedGroups.prices``) to the pricer's."""
        ...


InputFormat = Literal["csv", "jsonl", "parquet"]
INPUT_FORMATS: tuple[InputFormat, ...] = ("csv", "jsonl", "parquet")
KNOWN_COLUMNS = (
    "code", "minutes", "discipline", "rule", "billed_units", "payer", "provider",
    "assistant_minutes", "modifiers", "cq_units", "days_of_data",
)  # fmt: skip
KEY_COLUMNS_DAY = ("patient_id", "date_of_service")
KEY_COLUMN_VISIT = "visit_id"
KEY_COLUMN_BILLING = "billing_provider"
"""Who bills the claim (a billing NPI or tax ID): with the column, a part of the default
key, so that two unrelated providers seeing one patient on one day are two claims."""
DATE_COLUMN = "date_of_service"
ROLES = (*KEY_COLUMNS_DAY, KEY_COLUMN_VISIT, KEY_COLUMN_BILLING, *KNOWN_COLUMNS)
"""Every part a column can play, named as unitcalc names it (and as a header may)."""

ALIASES: Mapping[str, str] = {
    # The headers EHR and practice-management exports use, lower case, for each role. A
    # header that is a role's own name always wins over an alias of that role. A payer
    # column needs payer profiles (Options.profiles), so no export's insurance column is
    # taken for one unasked: name it with Options(columns={"payer": HEADER}).
    "cpt": "code", "cpt code": "code", "cpt_code": "code", "hcpcs": "code",
    "hcpcs code": "code", "hcpcs_code": "code", "procedure": "code",
    "procedure code": "code", "proc code": "code", "service code": "code",
    "minutes": "minutes", "mins": "minutes",
    "treatment minutes": "minutes", "service minutes": "minutes",
    "timed minutes": "minutes", "units": "billed_units", "billed units": "billed_units",
    "units billed": "billed_units", "billed": "billed_units",
    "dos": "date_of_service", "date of service": "date_of_service",
    "service date": "date_of_service", "visit date": "date_of_service",
    "patient id": "patient_id", "patient_id": "patient_id",
    "patientid": "patient_id", "mrn": "patient_id", "medical record number": "patient_id",
    "chart number": "patient_id", "account number": "patient_id",
    "visit id": "visit_id", "encounter id": "visit_id", "encounter": "visit_id",
    "claim id": "visit_id", "rendering provider": "provider", "provider": "provider",
    "therapist": "provider", "clinician": "provider", "rendering npi": "provider",
    "discipline": "discipline", "modifier": "modifiers", "modifiers": "modifiers",
    "assistant minutes": "assistant_minutes", "pta minutes": "assistant_minutes",
    "cq units": "cq_units", "days of data": "days_of_data", "data days": "days_of_data",
    "billing npi": "billing_provider", "billing provider": "billing_provider",
    "billing provider npi": "billing_provider", "billing tin": "billing_provider",
    "tin": "billing_provider", "tax id": "billing_provider",
}  # fmt: skip
"""Built-in header aliases; ``Options(columns={ROLE: HEADER})`` names any other."""


@attrs.frozen
class Options:
    """How a file is read, how it is counted, and what to produce. Build it with
    :meth:`of`, whose keywords are those of the functions that read a file."""

    # How the file is read.
    group_by: tuple[str, ...] = ()
    input_format: InputFormat | None = attrs.field(default=None)
    encoding: str | None = None
    """The input's text encoding; None: detected (UTF-8 unless the bytes say otherwise)."""
    delimiter: str | None = None
    """The CSV delimiter; None: detected from the first lines (a comma unless they show
    another)."""
    columns: Mapping[str, str] = attrs.field(factory=dict)
    """Role -> header, for exports whose headers are neither unitcalc's names nor
    built-in aliases (``{"code": "CPT", "date_of_service": "DOS"}``)."""
    strict: bool = False
    """Stop at the first row that cannot be used."""

    # How it is counted: the settings, resolved for each group's terms (its payer, its
    # date of service, a rule its rows name), and the payer profiles rows may name.
    settings: Settings = attrs.field(factory=Settings)
    month: MonthOptions = attrs.field(factory=MonthOptions)
    """How remote therapeutic monitoring counts by the month where the sources leave a
    choice (:class:`~unitcalc.engine.monthly.MonthOptions`)."""
    payer: str | None = None
    """The payer profile for rows that name none."""
    profiles: Mapping[str, PayerProfile] = attrs.field(factory=dict)
    profiles_path: str = ""

    # What to produce.
    need_billed: bool = False
    """An audit: billed units are read, and each group gets a finding."""
    only_findings: bool = False
    """Only groups that are not ok (or trip an edit) need a finding built: ok groups
    are settled and counted in columns."""
    price_columns: bool = False
    """Groups settled in columns carry their rows for the fee pricer (``Group.priced``),
    and those settled ok are handed on too, without a finding: the consumer prices and
    drops them (:meth:`unitcalc.files.price.Pricer.wrap`). Only with ``only_findings``."""
    column_pricer: ColumnPricer | None = attrs.field(default=None, eq=False, repr=False)
    """With ``price_columns``, prices the groups settled ok in columns, all at once,
    rather than having them handed on one by one
    (:meth:`unitcalc.files.price.Pricer.price_groups`)."""
    explain: bool = False
    """Findings carry the step-by-step explanation (built by the scalar engine)."""
    claim_lines: Callable[[pl.DataFrame], None] | None = attrs.field(
        default=None, eq=False, repr=False
    )
    """With ``only_findings``: takes the input lines of the groups settled ok in columns,
    a frame per part (:func:`.workbook_sheets.ok_line_frame`), for the workbook's Claim
    lines sheet of every input line (:meth:`.write_audit.AuditWriter.claim_lines`)."""
    rendered: Rendering | None = None
    """The findings the columns word are written by the columns in this form and handed
    on as text (``Group.rendered``), not as findings: for a writer that writes only
    that text (:attr:`unitcalc.files.write_audit.AuditWriter.rendering`)."""
    checks: frozenset[str] | None = None
    """The checks to make (:data:`unitcalc.files.checks.CHECKS`); None: every check whose
    data is present. ``units`` always runs."""
    spelling: Spelling = attrs.field(default=python_spelling, eq=False, repr=False)
    """How findings write an argument a problem names: as a Python caller does; the
    command line gives its flags."""

    def runs(self, check: str) -> bool:
        """Whether ``check`` was chosen (every check is, unless ``checks`` names some)."""
        return self.checks is None or check in self.checks or check == "units"

    @columns.validator
    def _one_column_a_role(self, attribute: attrs.Attribute[Any], value: Mapping[str, str]) -> None:
        seen: dict[str, str] = {}
        for role, header in value.items():
            other = seen.setdefault(str(header).strip().lower(), role)
            if other != role:
                raise FileProblem(
                    message_of(
                        Mention("columns", dict(value), owner="Options", given=True),
                        f": {other} and {role} both name the column {header!r}; a column "
                        "holds one role, so name another for one of them",
                    ),
                    path="",
                    argument="columns",
                )

    @input_format.validator
    def _known_format(self, attribute: attrs.Attribute[Any], value: str | None) -> None:
        _one_of(attribute.name, value, INPUT_FORMATS, "input format")

    @classmethod
    def of(
        cls,
        *,
        rule: RuleName | Rule | None = None,
        pooling: Pooling | None = None,
        tie_preference: Sequence[str] | None = None,
        codes: CodeTable | None = None,
        mue: MueTable | None = None,
        ptp: PtpTable | None = None,
        ptp_modifier_on: ModifierPlacement = "either",
        **options: Any,
    ) -> Options:
        """The options of a file run: how to count it (``rule`` for rows that name none
        and no payer, ``pooling``, ``tie_preference``, ``codes``, ``mue``, ``ptp`` and
        where its modifiers go, ``ptp_modifier_on``), and the other fields as keywords."""
        _one_of("pooling", pooling, POOLINGS, "pooling")
        _one_of("ptp_modifier_on", ptp_modifier_on, MODIFIER_PLACEMENTS, "modifier placement")
        settings = Settings(
            rule=rule,
            pooling=pooling,
            tie_preference=tie_preference,
            codes=codes,
            mue=mue,
            ptp=ptp,
            ptp_modifier_on=ptp_modifier_on,
        )
        if options.get("checks") is not None and "ptp" not in options["checks"]:
            settings = attrs.evolve(settings, ptp=None)  # not chosen: not run
        return cls(settings=settings, **options)


def _one_of(argument: str, value: str | None, choices: tuple[str, ...], what: str) -> None:
    """Refuse a value given for ``argument`` that is none of ``choices``."""
    if value is not None and value not in choices:
        raise FileProblem(
            message_of(
                Mention(argument, value, owner="Options", given=True),
                f" is no {what}: give one of {', '.join(choices)}",
            ),
            path="",
            argument=argument,
        )
