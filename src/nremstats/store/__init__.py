"""The versioned Parquet store: the ``manifest`` (submissions, which are current), the
``store`` folder (reads, writes, compaction), its ``history`` and ``verify``."""
