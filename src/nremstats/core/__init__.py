"""The ground every stage stands on: errors, the observation model, the declarations of
``schemas/``, labels, the value parser, findings, durable files and the guard that keeps
written texts inert. Imports nothing else of nremstats."""
