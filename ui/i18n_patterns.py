"""The pieces the tables of the core's messages build their patterns from (``ui.i18n_core``
matches them): each a value the message carries, named as the translation's placeholder."""

from __future__ import annotations

V = r"(?P<v>'[^']*'|\"[^\"]*\"|\S+)"  # a value as the core quotes it (Python's repr)
N = r"(?P<n>\d+)"
M = r"(?P<m>\d+)"
ANY = r"(?P<x>.+?)"  # a name the core puts first (a file, a picture, a parameter)
