"""Post-processing: history plots, field pictures and (later) crack metrics."""
