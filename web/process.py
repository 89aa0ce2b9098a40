"""What a long-running tdkt process (`tdkt serve`, `tdkt demo`, `tdkt scheduler`) does
once it has started and before it takes work."""

from __future__ import annotations

import gc


def settle_startup_heap() -> int:
    """Set aside, for the rest of the process, every object alive once startup is over
    (the imported modules, the app, its compiled templates and statements); returns how
    many there now are.

    Python's cycle collector walks every tracked object in its oldest generation each
    time that generation is collected, and a started tdkt holds some 170,000 that live as
    long as the process. Under load those walks took a quarter of a decision over 1,000
    nominees and lengthened the slowest page requests (benchmarks/README, 28/11/2026).
    Frozen objects are no longer walked; garbage made later is collected as before."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
