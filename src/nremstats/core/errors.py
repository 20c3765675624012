"""The errors a user can fix, one class per case.

Every error carries a message that names the place (file, sheet, cell, line) and says what to
do. The CLI maps :class:`UsageError` and its subclasses to exit code 2; anything that is not
an :class:`NremstatsError` is a bug (exit 3).

Data problems inside a return are *not* errors: they are :class:`~nremstats.core.findings.Finding`
objects, returned as data.
"""

from __future__ import annotations


class NremstatsError(Exception):
    """Base of every error nremstats raises on purpose."""

    exit_code = 2


class UsageError(NremstatsError):
    """The command was asked for something it cannot do (exit 2)."""


class InputFileNotFound(UsageError):
    """A file named on the command line does not exist or is not a file."""


class OptionError(UsageError):
    """An option has a value nremstats does not accept."""


class YamlFileError(OptionError):
    """A YAML file given by the user cannot be read safely: over the size limit, not UTF-8 or
    not YAML, a tag that builds an object (``!!python/...``), aliases beyond the limits, or
    nesting too deep (see :mod:`nremstats.core.yamlfile`). Layout and rules files raise their
    own error for these, with the same message."""


class StoreError(UsageError):
    """The store path cannot be used: it is a file, not writable, or of an unknown version."""


class StorePathError(StoreError):
    """A name that would name a store file (a submission id, the stem of a compilation's data
    files, a compacted file) is not a plain name, or the path it gives would leave its folder
    in the store: a manifest edited by hand, or a name that escaped the checks upstream."""


class StoreBusy(StoreError):
    """Another process holds the store's lock for longer than the timeout."""


class SchemaFileError(NremstatsError):
    """A declaration file under schemas/ is missing or malformed (a broken installation)."""

    exit_code = 3


class DisclosureRefused(NremstatsError):
    """A release would let an intruder narrow a suppressed count below its protection: it is
    refused and nothing is written (a defect of the disclosure control, exit 3)."""

    exit_code = 3


class ValidationFailed(NremstatsError):
    """Raised only on request (``raise_on_error=True``): the data has error-level findings."""

    exit_code = 1

    def __init__(self, message: str, findings: list) -> None:  # type: ignore[type-arg]
        super().__init__(message)
        self.findings = findings
