import sys
from pathlib import Path

# The api's code lives in app/ next to this folder; make it importable as ``app``.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
