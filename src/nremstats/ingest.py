"""Ingest: received returns read and checked (:mod:`nremstats.returns`), then stored
(:mod:`nremstats.store`).

:func:`ingest_files` publishes every valid return of a call in one atomic step, one
submission per provider, country and year; a national return with any error is rejected
whole, an agency compilation's unreadable rows one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from nremstats.core.findings import SEVERITIES, Finding
from nremstats.core.memory import gc_paused
from nremstats.returns.layouts.declaration import Layout, load_layout
from nremstats.returns.package import Limits
from nremstats.returns.pipeline import (
    ProgressCallback,
    ReturnData,
    check_options,
    file_result,
    read_return,
)
from nremstats.returns.read import display_name, require_file
from nremstats.returns.results import FileResult, RunResult
from nremstats.returns.rules import RuleSet, load_rules
from nremstats.store.manifest import Submission, complete_files, now_iso, standing
from nremstats.store.revisions import revisions
from nremstats.store.store import Store, open_store

if TYPE_CHECKING:
    import pandas as pd


#: Submissions stored in one data file, with their rows and the findings of their file.
DataUnit = tuple[list[Submission], "pd.DataFrame", list[Finding]]


def submissions_of(data: ReturnData, received_at: str) -> list[DataUnit]:
    """Split a valid return into submissions, one per provider, country and year.

    A national return gives one data file per submission; the country-years of an agency
    compilation share one data file (one write and one hash for the whole received file).
    """
    assert data.observations is not None and data.sha256 is not None
    frame = data.observations
    both = frame[["country", "year"]].dropna()
    every = {(str(c), int(y)) for c, y in both.drop_duplicates().itertuples(index=False)}
    if not frame["readable"].all():
        frame = frame[frame["readable"]]
    counts = {s: sum(f.severity == s for f in data.findings) for s in SEVERITIES}
    if data.layout is not None:
        layout_name = data.layout.name
    else:
        layout_name = "template" if data.kind == "xlsx" else "canonical-csv"
    shared = f"{layout_name}-{data.sha256[:12]}" if data.layout is not None else None
    keys = ["provider", "country", "year"]
    ids = (
        frame["provider"]
        + "-"
        + frame["country"]
        + "-"
        + frame["year"].astype("string")
        + "-"
        + data.sha256[:12]
    )
    frame = frame.assign(submission_id=ids.astype("string"))
    subs = []
    for (provider, country, year), rows in frame.groupby(keys, sort=True).size().items():
        subs.append(
            Submission(
                submission_id=f"{provider}-{country}-{year}-{data.sha256[:12]}",
                provider=str(provider),
                country=str(country),
                years=[int(year)],
                file=display_name(data.file),
                sha256=data.sha256,
                received_at=received_at,
                status="warnings" if counts["warning"] else "valid",
                template_version=data.template_version,
                layout=layout_name,
                rows=int(rows),
                counts=counts,
                data=shared,
                vintage=data.vintage,
                complete=bool(data.layout is not None and data.layout.complete),
                reading=data.reading,
            )
        )
    if subs and subs[0].complete:  # country-years held but not stored: not withdrawn
        stored = {(s.country, s.years[0]) for s in subs}
        subs[0].also_holds = sorted([c, y] for c, y in every if (c, y) not in stored)
    if shared:
        return [(subs, frame, data.findings)]
    parts = dict(tuple(frame.groupby("submission_id", sort=False)))
    return [([sub], parts[sub.submission_id], data.findings) for sub in subs]


def ingest_files(
    paths: Iterable[str | Path],
    store: Store | str | Path | None = None,
    *,
    on_file: ProgressCallback | None = None,
    on_wait: Callable[[], None] | None = None,
    rules: str | Path | RuleSet | None = None,
    ignore_unknown_columns: bool = False,
    layout: str | Path | Layout | None = None,
    vintage: str | None = None,
    force: bool = False,
    partial: bool = False,
    country: str | None = None,
    limits: Limits | None = None,
) -> RunResult:
    """Check returns and store the valid ones; a return with errors is rejected whole.

    Returns are checked against the store's earlier years (year-on-year rules) and with the
    rules of ``rules`` (a rules file or a :class:`RuleSet`; default the catalogue). Each file
    is read with ``layout`` (a name, a layout file or a :class:`Layout`) when given, else as
    the template, the canonical CSV or the one known layout it matches.

    All valid returns of the call are published together, in one atomic manifest update
    under the store's lock. Identical bytes already in the store are a no-op, reported as
    ``already_stored``; the same bytes read with another layout or rules (or with
    ``force``) are stored again as new submissions, which supersede the earlier reading
    (``reread``). A compilation's submissions are ordered by its vintage (the date the
    file carries where its layout says, else ``vintage``): one older than the store's is
    kept as superseded, and a complete vintage withdraws the country-years of its provider
    it no longer holds (both reported per file). ``country`` confirms the country of
    templates whose names disagree with their metadata (``--country``); ``limits`` are what
    a file may ask of the machine (default ``schemas/limits.yaml``).

    Raises:
        StoreError: the store path cannot be used.
        InputFileNotFound: a path is not a file (checked before anything is written).
        RulesFileError, LayoutFileError: a rules or layout file is wrong (checked first too).
    """
    paths = [require_file(p) for p in paths]  # all checked before anything is done
    rules = rules if isinstance(rules, RuleSet) else load_rules(rules)
    if layout is not None and not isinstance(layout, Layout):
        layout = load_layout(layout)
    target = store if isinstance(store, Store) else open_store(store, create=True)
    options = check_options(
        rules,
        target,
        ignore_unknown_columns,
        layout,
        vintage,
        storing=True,
        country=country,
        limits=limits,
    )
    run = RunResult()
    batch = []
    received_at = now_iso()
    for path in paths:
        if on_file:
            on_file(path)
        data = read_return(path, options)
        result = file_result(data)
        run.files.append(result)
        if data.ok and data.observations is not None:
            batch += [(result, unit) for unit in submissions_of(data, received_at)]
    with target.lock(on_wait=on_wait), gc_paused():
        stored = target.submissions() if batch else []  # (the manifest read once)
        before = standing(stored)
        batch = _read_again(stored, batch, force)
        _partial(stored, batch, partial)
        published = set(target.publish([unit for _, unit in batch]))
        new = [s for _, (subs, _, _) in batch for s in subs if s.submission_id in published]
        after = standing(stored + new)
    current = {sub.submission_id for sub in after[0]}
    # withdrawn by this call: earlier submissions that a complete vintage stored now no
    # longer holds (this call's own submissions that arrive withdrawn are superseded)
    gone = {sub.submission_id for sub in before[1]}
    for result, (subs, _, _) in batch:
        result.reread = any(s.submission_id in published and s.reread for s in subs)
        for submission in subs:
            result.submissions.append(submission.submission_id)
            if submission.submission_id not in published:
                result.already_stored = True
            elif submission.submission_id not in current:
                result.superseded.append(submission.submission_id)
        taken: list[Submission] = []
        if subs and subs[0].complete:  # withdrawn by it: others' submissions, newly withdrawn
            own = {s.submission_id for s in subs} | gone
            taken = [s for s in after[1] if s.submission_id not in own]
            taken = [s for s in taken if s.provider == subs[0].provider]
            result.withdrawn += [f"{s.country} {s.years[0]}" for s in taken]
        fresh = [s for s in subs if s.submission_id in published and s.submission_id in current]
        if fresh or taken:
            result.revisions = revisions(target, before[0], fresh, taken).to_dict()
        result.rows_stored = result.rows_read - result.rows_rejected  # sums count each row
    return run


def _read_again(
    stored: list[Submission], batch: list[tuple[FileResult, DataUnit]], force: bool
) -> list[tuple[FileResult, DataUnit]]:
    """The data units, those whose submissions the store holds already from the same bytes
    read another way (another layout or rules fingerprint) or, with ``force``, at all,
    renamed as new submissions (``-r<n>`` after the id and the data file's name)."""
    latest: dict[str, Submission] = {}  # the latest reading of each submission's bytes
    for sub in stored:
        if sub.base not in latest or sub.seq > latest[sub.base].seq:
            latest[sub.base] = sub
    number = max((sub.seq for sub in stored), default=0)
    out = []
    for result, (subs, frame, findings) in batch:
        held = [s for s in subs if s.submission_id in latest]
        other = any(_read_otherwise(latest[s.submission_id], s) for s in held)
        if held and (force or other):
            number += 1
            tag = f"-r{number}"
            names = {s.submission_id: s.submission_id + tag for s in subs}
            for sub in subs:
                sub.submission_id, sub.reread = names[sub.submission_id], True
                sub.data = sub.data + tag if sub.data else None
            frame = frame.assign(submission_id=frame["submission_id"].map(names))
        out.append((result, (subs, frame, findings)))
    return out


def _read_otherwise(stored: Submission, new: Submission) -> bool:
    """Whether the same bytes are read another way now: another layout or rules, or
    another vintage (a corrected ``--vintage``); a submission stored before readings were
    recorded only when a vintage is read now that it lacks."""
    if stored.reading is None:
        return new.vintage is not None and stored.vintage is None
    return (stored.reading, stored.vintage) != (new.reading, new.vintage)


#: A complete vintage lacking more than this share of the country-years of the one before
#: is taken as partial (a download of some countries, not the export): it withdraws nothing.
MOST_WITHDRAWN = 0.1


def _partial(
    stored: list[Submission], batch: list[tuple[FileResult, DataUnit]], partial: bool
) -> None:
    """Mark as partial (withdrawing nothing) the complete files asked to be (``partial``)
    or lacking too much of the provider's newest earlier complete vintage (see
    :data:`MOST_WITHDRAWN`), saying why in their results."""
    earlier = complete_files(stored)
    for result, (subs, _, _) in batch:
        if not subs or not subs[0].complete:
            continue
        mine = {(s.country, y) for s in subs for y in s.years}
        mine |= {(str(c), int(y)) for c, y in subs[0].also_holds}
        before = [
            (vintage, held)
            for (provider, _), (vintage, held) in earlier.items()
            if provider == subs[0].provider and vintage < (subs[0].vintage or "")
        ]
        why = "asked (--partial)" if partial else None
        if before and why is None:
            vintage, held = max(before, key=lambda found: found[0])
            lacking = len(held - mine)
            if lacking > MOST_WITHDRAWN * len(held):
                why = (
                    f"it lacks {lacking:,} of the {len(held):,} country-years of the "
                    f"{vintage} vintage (a download of some countries?): nothing withdrawn"
                )
        if why is not None:
            for sub in subs:
                sub.complete = False
            result.partial = why
