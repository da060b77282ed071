"""Moved to ``finpolicy.domains.classification.scanning`` (this path keeps old imports
working)."""

from finpolicy.domains.classification.scanning import (  # noqa: F401
    DEFAULTS,
    ColumnResult,
    ScanReport,
    _Sampler,
    open_source,
    scan,
)
