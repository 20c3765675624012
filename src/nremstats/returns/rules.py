"""The rule catalogue (``schemas/rules.yaml``) and a user's changes to it (``--rules FILE``).

A :class:`RuleSet` answers, for every rule code, whether it runs, its severity and its
parameters. Checks read parameters from it; :meth:`RuleSet.apply` then drops the findings of
rules switched off and sets the severities a rules file changed. A rules file looks like::

    rules:
      COMPLETENESS_BLANK: off
      BALANCE_TOTAL_EXCEEDS_PARTS: {severity: info, tolerance: 5}
      PLAUSIBILITY_YEAR_CHANGE: {factor: 4, min_change: 50}

A mistake in it (unknown rule, bad severity, unknown or bad parameter) is a usage error that
names the file and line; the file is read within the limits of :mod:`nremstats.core.yamlfile`
(size, tags, aliases) before anything walks it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.core.findings import SEVERITIES, Finding
from nremstats.core.yamlfile import read_yaml

ALL = "all"


class RulesFileError(OptionError):
    """A rules file names an unknown rule, a bad severity or a bad parameter."""


@dataclass
class RuleSet:
    """The catalogue with a user's overrides applied."""

    enabled_rules: dict[str, bool] = field(default_factory=dict)
    severities: dict[str, str] = field(default_factory=dict)
    params_by_rule: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Severities a rules file set explicitly (these win over a check's own choice).
    overridden: set[str] = field(default_factory=set)
    source: str | None = None

    @classmethod
    def default(cls) -> RuleSet:
        """The catalogue as declared in ``schemas/rules.yaml``."""
        ruleset = cls()
        for code, rule in codes.rules().items():
            ruleset.enabled_rules[code] = True
            ruleset.severities[code] = str(rule["severity"])
            ruleset.params_by_rule[code] = {
                name: spec["default"] for name, spec in (rule.get("params") or {}).items()
            }
        return ruleset

    def enabled(self, code: str) -> bool:
        return self.enabled_rules.get(code, True)

    def severity(self, code: str) -> str:
        return self.severities.get(code) or codes.severity(code)

    def param(self, code: str, name: str) -> Any:
        return self.params_by_rule[code][name]

    def applies(self, code: str, indicator: str) -> bool:
        """True when the rule's ``indicators`` parameter admits this indicator."""
        chosen = self.params_by_rule.get(code, {}).get("indicators", ALL)
        return chosen == ALL or indicator in chosen

    def apply(self, findings: list[Finding]) -> list[Finding]:
        """Drop findings of disabled rules; set the severities a rules file changed."""
        out = []
        for finding in findings:
            if not self.enabled(finding.rule):
                continue
            if finding.rule in self.overridden:
                finding = replace(finding, severity=self.severities[finding.rule])  # type: ignore[arg-type]
            out.append(finding)
        return out

    def merged(self, changes: dict[str, Any], source: str) -> RuleSet:
        """Return a copy with the changes of a rules mapping (already checked) applied."""
        new = RuleSet(
            dict(self.enabled_rules),
            dict(self.severities),
            {code: dict(params) for code, params in self.params_by_rule.items()},
            set(self.overridden),
            source,
        )
        for code, change in changes.items():
            if change is False or change == "off":
                new.enabled_rules[code] = False
                continue
            new.enabled_rules[code] = True
            for key, value in (change or {}).items():
                if key == "enabled":
                    new.enabled_rules[code] = bool(value)
                elif key == "severity":
                    new.severities[code] = value
                    new.overridden.add(code)
                else:
                    new.params_by_rule[code][key] = value
        return new


def _check_value(where: str, code: str, name: str, spec: dict[str, Any], value: Any) -> Any:
    kind = spec.get("type", "int")
    if kind == "list":
        if value == ALL:
            return ALL
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RulesFileError(f"{where}: {code}.{name} must be a list of codes or 'all'.")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesFileError(f"{where}: {code}.{name} must be a number, not {value!r}.")
    if not math.isfinite(value):  # YAML's .nan and .inf: no limit a rule can use
        raise RulesFileError(f"{where}: {code}.{name} must be a finite number, not {value!r}.")
    if kind == "int" and not float(value).is_integer():
        raise RulesFileError(f"{where}: {code}.{name} must be a whole number, not {value!r}.")
    for bound, test in (("min", lambda v, b: v < b), ("max", lambda v, b: v > b)):
        if bound in spec and test(value, spec[bound]):
            raise RulesFileError(
                f"{where}: {code}.{name} = {value} is out of range "
                f"({spec.get('min', '-inf')} to {spec.get('max', 'inf')})."
            )
    return int(value) if kind == "int" else float(value)


def check_rule(path: Path, lines: dict[Any, int], code: str, change: Any) -> Any:
    """Check one rule's change (``off``, or a mapping of settings) against the catalogue;
    return it checked. ``lines`` maps a code (and ``(code, setting)``) to its line in
    ``path``, for the message.

    Raises:
        RulesFileError: an unknown rule, severity or parameter, or a value out of range.
    """
    catalogue = codes.rules()
    where = f"{path}, line {lines.get(code, 1)}"
    if code not in catalogue:
        raise RulesFileError(
            f"{where}: unknown rule '{code}'. Known rules: {', '.join(sorted(catalogue))}."
        )
    if change in (False, "off"):
        return "off"
    if change in (True, "on", None):
        return {}
    if not isinstance(change, dict):
        raise RulesFileError(f"{where}: {code} takes 'off' or a mapping of settings.")
    specs = catalogue[code].get("params") or {}
    checked: dict[str, Any] = {}
    for key, value in change.items():
        where = f"{path}, line {lines.get((code, key), lines.get(code, 1))}"
        if key == "severity":
            if value not in SEVERITIES:
                raise RulesFileError(
                    f"{where}: {code}.severity '{value}' is not one of {', '.join(SEVERITIES)}."
                )
            checked[key] = value
        elif key == "enabled":
            if not isinstance(value, bool):
                raise RulesFileError(f"{where}: {code}.enabled must be true or false.")
            checked[key] = value
        elif key in specs:
            checked[key] = _check_value(where, code, key, specs[key], value)
        else:
            allowed = ", ".join(["severity", "enabled", *specs])
            raise RulesFileError(f"{where}: {code} has no parameter '{key}' (it takes: {allowed}).")
    return checked


def load_rules(path: str | Path | None, base: RuleSet | None = None) -> RuleSet:
    """Read a rules file and return the catalogue with its changes (the catalogue if None).

    Raises:
        RulesFileError: the file is missing, is not YAML, breaks a limit of
            :mod:`nremstats.core.yamlfile` (size, tags, aliases), or says something the
            catalogue does not allow; the message names the file and line.
    """
    base = base or RuleSet.default()
    if path is None:
        return base
    path = Path(path)
    document = read_yaml(path, RulesFileError)  # within limits, checked before any walk
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("rules"), dict):
        raise RulesFileError(f"{path}, line 1: expected a mapping 'rules:' of rule codes.")
    lines = _key_lines(document.root)
    changes = {
        code: check_rule(path, lines, code, change) for code, change in data["rules"].items()
    }
    return base.merged(changes, str(path))


def _key_lines(root: Any) -> dict[Any, int]:
    """Map each rule code under ``rules:`` (and each ``(code, setting)``) to its 1-based line."""
    import yaml

    lines: dict[Any, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if key.value == "rules" and isinstance(value, yaml.MappingNode):
            for code, settings in value.value:
                lines[str(code.value)] = code.start_mark.line + 1
                if isinstance(settings, yaml.MappingNode):
                    for key, _ in settings.value:
                        lines[(str(code.value), str(key.value))] = key.start_mark.line + 1
    return lines
