"""The ground every stage stands on: errors, the observation model, the declarations of
``schemas/``, labels, the value parser, findings and durable files. Imports nothing else of
nremstats."""
