"""Print pip constraints pinning every dependency in pyproject.toml to its lower bound.

Run it with the interpreter that will install them: requirements whose marker does not
hold there are left out. CI's floor leg installs with these constraints, so every floor
the pins claim is a version the suite has passed on.
"""

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
project = pyproject["project"]
lines = []
for text in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
    req = Requirement(text)
    if req.marker and not req.marker.evaluate():
        continue
    floors = [s.version for s in req.specifier if s.operator in (">=", "==")]
    if len(floors) != 1:
        sys.exit(f"floors.py: {text!r} needs exactly one '>=' or '==' bound")
    lines.append(f"{req.name}=={floors[0]}")
print("\n".join(lines))
