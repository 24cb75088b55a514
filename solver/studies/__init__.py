"""Threshold studies (`sifrac sweep STUDY.toml`): one base case run over a parameter or variants.

A study file has a `[sweep]` section and a base case: `base = "case.toml"`, the study file's other
sections, or both (the study's sections override the base file's keys). The rooms, in the order
a study goes through them (each imports only those before it):

- schema: the `[sweep]` keys and their checks (docs/sweep-reference.md is generated from it);
- plan: loading a study file, the runs and their resolved cases, validation before any run;
- strategies: the criterion and the choice of runs (Listed for grid/variants, Bisection);
- executor: runs on sub-communicators, reuse of finished runs, resume of stopped ones;
- outputs: sweep.csv, summary.json, study.toml, parameters.csv and the figures;
- sweep: the round loop; cli: the `sifrac sweep` verb and its exit statuses.

The package itself imports nothing, so that loading a study (schema, plan) needs no DOLFINx.
"""
