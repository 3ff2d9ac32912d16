"""Execution in MATS's own terms: order states, the order record and how events move it, the
execution-time risk gate, and bracket legs."""
