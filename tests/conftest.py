from solver import bootstrap  # noqa: F401
