"""The benchmark's own arithmetic (the benchmark itself is run by hand)."""
import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_build import idle_by_stage  # noqa: E402


def test_idle_core_seconds_are_counted_stage_by_stage():
    """Two cores over a 10 s build printed as documents 5 s and link 4 s
    (so 1 s of start-up): busy seconds read every second, the stages laid
    end to end up to the program's end."""
    busy = [0, 1, 3, 5, 7, 9, 11, 12, 13, 14, 15]   # cumulative, at 0, 1, ..., 10 s
    samples = [(float(t), float(b)) for t, b in enumerate(busy)]
    idle = idle_by_stage(samples, {"documents": 5.0, "link": 4.0}, 10.0, cores=2)
    assert idle == {"start-up": 1.0, "documents": 0.0, "link": 4.0}
    # a reading between two samples takes the earlier one
    assert idle_by_stage(samples, {"documents": 9.5}, 10.0, cores=2)["start-up"] == 1.0
