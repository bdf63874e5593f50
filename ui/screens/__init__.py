"""One root widget per role: a .kv layout and a Python class bound to the role's viewmodel."""
