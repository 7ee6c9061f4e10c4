"""A random sequence of changes to the seeds, each linked from the memory
of the step before: what the splice tests (graph.ttl, graph.json) run."""
import random

from kg.gazetteer import load_gazetteer
from kg.pipeline import link_kept, process_file

#: The moves of a sequence: a seed becomes its second half or whole again,
#: is taken out, comes back, or a copy of a half is added.
MOVES = ["half", "none", "copy", "out", "whole", "out", "half", "copy", "none", "whole",
         "out", "half", "whole", "copy", "half"]


def random_changes(seed_results, seed: int):
    """``(step, move, extraction)`` of each step of :data:`MOVES` (the
    seeds and documents chosen by a generator seeded ``seed``), each
    extraction linked from the memory the step before kept."""
    gaz = load_gazetteer()
    whole, half = ({r.doc.doc_id: r for r in results} for results in seed_results)
    now = {d: (r, "whole") for d, r in whole.items()}
    rng = random.Random(seed)
    memory = None
    for step, move in enumerate(MOVES):
        doc_id = rng.choice(sorted(whole))
        if move == "out":
            now.pop(rng.choice(sorted(now)))
        elif move == "copy":
            now[f"copy{step}"] = (process_file(half[doc_id].doc.path, f"copy{step}"),
                                  f"half of {doc_id}")
        elif move in ("half", "whole"):
            now[doc_id] = ((half if move == "half" else whole)[doc_id], move)
        kept: list = []
        ex = link_kept([now[d][0] for d in sorted(now)], gaz,
                       keys=[f"{d}:{now[d][1]}" for d in sorted(now)], before=memory,
                       keep=kept.append)
        yield step, move, ex
        memory = kept[0]


#: The ways an index may not vouch for the file it was written with.
SPOILS = ["file edited", "index damaged", "other memory", "other build", "no index"]


def spoiled(spoil: str, output, index, ex) -> str:
    """Spoil the index ``index`` of the file ``output`` for the splice of
    ``ex`` in one of the :data:`SPOILS` ways; returns the build key to
    write with."""
    from dataclasses import replace
    if spoil == "file edited":
        with open(output, "ab") as fh:
            fh.write(b"\n")
    elif spoil == "index damaged":
        index.write_bytes(b"PK\x03\x04")
    elif spoil == "other memory":
        ex.change = replace(ex.change, before="0123456789abcdef")
    elif spoil == "no index":
        index.unlink()
    return "other" if spoil == "other build" else "b"
