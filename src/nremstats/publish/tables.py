"""Questions put to the store: current observations and the comparison table.

The comparison table has one row per country and one column per year; each cell is the
indicator's total (every breakdown ``_T``) from one provider, chosen by priority (the
national return first unless told otherwise), with its status mark and footnotes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.core.model import ALL_TOTALS, NATIONAL

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from nremstats.store.store import Store


#: The marks a comparison table writes, with their meaning (also in docs/cli-contract.md).
LEGEND: tuple[tuple[str, str], ...] = (
    ("123", "normal value (obs_status A)"),
    ("123 p", "provisional value (P)"),
    ("123 e", "estimated value (E)"),
    ("123 b", "break in series (B)"),
    ("..", "not available: not collected or not known (L)"),
    ("z", "not applicable: cannot exist (M)"),
    ("<5", "suppressed small count: between 0 and 4 (Q with bounds)"),
    ("3-7", "suppressed count known as a range (Q with bounds)"),
    ("c", "confidential, suppressed by the sender (Q, conf_status C or D)"),
    ("[n]", "see footnote n"),
    ("(blank)", "no figure received"),
)


_FLAGS = {"P": " p", "E": " e", "B": " b"}


def status_mark(
    value: int | None,
    obs_status: str | None,
    lower: int | None = None,
    upper: int | None = None,
) -> str:
    """Write a value with its status as the comparison table shows it (see :data:`LEGEND`)."""
    if value is not None:
        flag = _FLAGS.get(obs_status or "A")
        return f"{value}{flag}" if flag else str(value)
    if obs_status == "Q":
        if lower is not None and upper is not None:
            return f"<{upper + 1}" if lower == 0 else f"{lower}-{upper}"
        return "c"
    if obs_status == "M":
        return "z"
    return ".."


@dataclass(slots=True)
class TableCell:
    """One cell of a comparison table."""

    value: int | None
    obs_status: str
    lower: int | None
    upper: int | None
    provider: str
    submission_id: str
    notes: list[int] = field(default_factory=list)
    #: The victim definition (IDENTIFIED, PRESUMED, REGISTERED) of a victims count.
    definition: str | None = None

    @property
    def mark(self) -> str:
        return status_mark(self.value, self.obs_status, self.lower, self.upper)

    @property
    def text(self) -> str:
        return self.mark + refs(self.notes)

    def text_without(self, stated: Iterable[int]) -> str:
        """The text without the notes ``stated`` elsewhere (a column's, the table's)."""
        return self.mark + refs([n for n in self.notes if n not in set(stated)])

    def suffix(self, stated: Iterable[int] = ()) -> str:
        """What follows the number in the table: its status flag and note references (a
        number format keeps the cell numeric and shows them: ``303 p [2]``)."""
        flag = _FLAGS.get(self.obs_status or "A", "") if self.value is not None else ""
        return flag + refs([n for n in self.notes if n not in set(stated)])


def refs(notes: Iterable[int]) -> str:
    """`` [1,3]`` (nothing for no note)."""
    notes = list(notes)
    return f" [{','.join(map(str, notes))}]" if notes else ""


@dataclass
class ComparisonTable:
    """Countries x years of one indicator's total, with footnotes (numbered from 1)."""

    indicator: str
    countries: list[str]
    years: list[int]
    cells: dict[tuple[str, int], TableCell]
    footnotes: list[str]
    priority: list[str]

    @property
    def title(self) -> str:
        return codes.label("indicator", self.indicator)

    def within(self, years: list[int], countries: list[str] | None = None) -> ComparisonTable:
        """The same table for ``years`` (and ``countries``) only, its footnotes those its
        cells use, numbered again in order."""
        keep = None if countries is None else set(countries)
        cells = {
            key: cell
            for key, cell in self.cells.items()
            if key[1] in years and (keep is None or key[0] in keep)
        }
        used = sorted({n for cell in cells.values() for n in cell.notes})
        number = {old: new for new, old in enumerate(used, start=1)}
        if used != list(range(1, len(self.footnotes) + 1)):
            cells = {
                key: replace(cell, notes=[number[n] for n in cell.notes])
                for key, cell in cells.items()
            }
        footnotes = [self.footnotes[n - 1] for n in used]
        held = {year for _, year in cells}
        shown = [y for y in years if y in held]
        countries_shown = sorted({c for c, _ in cells})
        return replace(
            self, cells=cells, countries=countries_shown, years=shown, footnotes=footnotes
        )

    def row_notes(self, country: str) -> str:
        """Return the footnotes used in a country's row, as ``[n] text; ...``."""
        get = self.cells.get
        used = sorted({n for y in self.years if (cell := get((country, y))) for n in cell.notes})
        return "; ".join(f"[{n}] {self.footnotes[n - 1]}" for n in used)

    def shared_notes(self) -> tuple[list[int], dict[int, list[int]]]:
        """The notes every cell of the table carries (stated once, with its title), and
        those every cell of a year's column carries besides (stated once, in its heading;
        a table or column of one cell keeps its notes)."""
        if len(self.cells) < 2:  # a table of one cell keeps its notes
            return [], {}
        whole = set.intersection(*(set(cell.notes) for cell in self.cells.values()))
        columns: dict[int, list[set[int]]] = {}
        for (_, year), cell in self.cells.items():
            columns.setdefault(year, []).append(set(cell.notes) - whole)
        by_year = {
            year: sorted(common)
            for year, sets in columns.items()
            if len(sets) > 1 and (common := set.intersection(*sets))
        }
        return sorted(whole), by_year

    def heading(self, people: bool = True) -> str:
        """The title with the code, and (``people``) the notes of the whole table."""
        stated = refs(self.shared_notes()[0]) if people else ""
        return f"{self.title} ({self.indicator}){stated}"

    def rows(self, people: bool = False) -> list[list[str]]:
        """Return the table as text rows: header, then one row per country. ``people``:
        a note every cell of the table or of a year's column carries is stated once (in
        :meth:`heading`, in the year's heading) and left out of the cells; otherwise every
        cell has all its notes (data, e.g. CSV)."""
        whole, by_year = self.shared_notes() if people else ([], {})
        header = ["country", "name", *(f"{y}{refs(by_year.get(y, []))}" for y in self.years)]
        body = []
        get = self.cells.get
        for country in self.countries:
            texts = [
                cell.text_without([*whole, *by_year.get(y, [])])
                if (cell := get((country, y)))
                else ""
                for y in self.years
            ]
            body.append([country, codes.country_name(country) or country, *texts])
        return [header, *body]


def parse_priority(prefer: str | None) -> list[str]:
    """Parse ``--prefer P1,P2`` (``NATIONAL`` stands for each country's own return)."""
    if not prefer:
        return [NATIONAL]
    items = [p.strip().upper() for p in prefer.split(",") if p.strip()]
    for item in items:
        if not item.replace("_", "").isalnum():
            raise OptionError(f"--prefer {prefer}: '{item}' is not a provider code.")
    return items if NATIONAL in items else [*items, NATIONAL]


def provider_rank(provider: str, country: str, priority: list[str]) -> tuple[int, str]:
    name = NATIONAL if provider == country else provider
    return (priority.index(name) if name in priority else len(priority), provider)


def comparison_table(
    store: Store, indicator: str, prefer: str | None = None, upto: int | None = None
) -> ComparisonTable:
    """Build the comparison table of one indicator from the store's current observations.

    Args:
        store: an open store.
        indicator: an indicator code (``VICTIMS_DETECTED`` ...).
        prefer: provider priority, e.g. ``"UNODC,NATIONAL"``; default national first, then
            other providers alphabetically.
        upto: a past state (``Store.resolve_as_of``); ``None`` for now.

    Raises:
        OptionError: an unknown indicator or a malformed priority.
    """
    if indicator not in codes.codes("indicator"):
        known = ", ".join(codes.ordered_codes("indicator"))
        raise OptionError(f"--indicator {indicator}: unknown; choose one of {known}.")
    priority = parse_priority(prefer)
    where = {"indicator": indicator, **ALL_TOTALS}
    totals = store.observation_table(upto=upto, where=where, columns=list(_COLUMNS))
    return _build(indicator, totals, priority)


_COLUMNS = (
    "country", "year", "provider", "value", "obs_status", "lower", "upper", "note",
    "definition", "submission_id",
)  # fmt: skip


def _build(indicator: str, totals: pa.Table, priority: list[str]) -> ComparisonTable:
    numbers: dict[str, int] = {}  # footnote text -> its number, in order of first use

    def note(text: str) -> int:
        return numbers.setdefault(text, len(numbers) + 1)

    best_of: dict[tuple[str, int], tuple] = {}
    columns = [totals.column(name).to_pylist() for name in _COLUMNS]  # nulls come as None
    for record in zip(*columns, strict=True):  # one pass; the best-ranked provider wins
        key = (record[0], record[1])
        held = best_of.get(key)
        rank = provider_rank(record[2], key[0], priority)
        if held is None or rank < provider_rank(held[2], key[0], priority):
            best_of[key] = record
    cells: dict[tuple[str, int], TableCell] = {}
    for key in sorted(best_of):
        country, _, provider, value, status, lower, upper, text, definition, sub_id = best_of[key]
        notes = []
        if text is not None:
            notes.append(note(text))
        if definition is not None:
            notes.append(note(f"victims counted as {codes.label('definition', definition)}"))
        if provider != country:
            notes.append(note(f"figure provided by {provider}, not the national return"))
        cells[key] = TableCell(value, status, lower, upper, provider, sub_id, notes, definition)
    _mark_breaks(cells, note)
    for cell in cells.values():
        cell.notes.sort()
    countries = sorted({c for c, _ in cells})
    years = sorted({y for _, y in cells})
    return ComparisonTable(indicator, countries, years, cells, list(numbers), priority)


#: The notes of a series break: a country's figure from another provider, or of victims
#: counted by another definition, than its figure the year before.
BREAK_PROVIDER = "break in series: another provider than the year before"
BREAK_DEFINITION = "break in series: victims counted by another definition than the year before"


def _mark_breaks(cells: dict[tuple[str, int], TableCell], note: Callable[[str], int]) -> None:
    """Note each series break on the first cell after it (charts break their lines there)."""
    before: dict[str, TableCell] = {}
    for (country, _), cell in sorted(cells.items()):
        last = before.get(country)
        before[country] = cell
        if last is None:
            continue
        if last.provider != cell.provider:
            cell.notes.append(note(BREAK_PROVIDER))
        if last.definition and cell.definition and last.definition != cell.definition:
            cell.notes.append(note(BREAK_DEFINITION))


def observations(store: Store, upto: int | None = None) -> pd.DataFrame:
    """Return the store's current observations (or those of a past state, see
    ``Store.resolve_as_of``) in the columns of the observation format."""
    return store.observations(upto=upto)
