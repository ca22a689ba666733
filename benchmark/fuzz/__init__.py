"""Fuzz the de-identification engine with mutated DICOM files (``phiphantom fuzz``).

A QA tool and a CI check: valid files from the generator carry injected PHI markers
(:mod:`.markers`, :mod:`.seeds`); each case mutates one of them (:mod:`.cases`: element lengths,
VRs, sequence nesting, truncation, pixel data length and attributes, transfer syntax UID, fragment
tables, overlay sizes, value bytes, element order, private blocks, character sets; see
:mod:`.mutate_bytes` and :mod:`.mutate_dataset`) and runs it through the batch runner's per-file
path in supervised worker processes with a timeout (:mod:`.worker`, :mod:`.runner`). A case fails
when the engine raises anything but its own clear errors, hangs, crashes, writes an output that
does not parse and decode, or writes one that still holds a marker (:mod:`.oracle`).

Randomness: the standard library's :class:`random.Random`, one instance per case seeded with
``"phiphantom-fuzz:{seed}:{index}"``, rather than Hypothesis. The acceptance run is a fixed number of
cases (10,000) spread over worker processes with a per-file timeout, and every failing case must be
rebuilt from two numbers by anyone (``--seed S --case N``) without a Hypothesis example database;
the mutations are structural edits of bytes, where shrinking would buy little; and nothing is
added to the runtime dependencies.
"""

__all__ = ["FuzzConfig", "FuzzReport", "run_fuzz"]


def __getattr__(name: str):
    """Import the runner on first use (``phiphantom --help`` loads only the command's module)."""
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(name)
