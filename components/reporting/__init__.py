"""The report stage's outputs, one module per kind: ``plots`` (PNGs), ``markdown`` (report.md),
``html`` (its self-contained twin) and ``provenance`` (where the figures came from). Each turns what
the stage gathered into text or images; none decides a figure (that is ``components.evaluation``)."""
