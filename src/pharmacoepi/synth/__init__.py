"""Synthetic SNDS-like claims with injected immune thrombocytopenia (FAITH model) and
multiple sclerosis with disease-modifying therapy sequences.

from pharmacoepi.synth import generate, SynthConfig, load_preset
summary = generate(load_preset("default"), Path("out"))
"""

from .config import SynthConfig, load_preset
from .generate import GENERATOR_VERSION, generate

__all__ = ["GENERATOR_VERSION", "SynthConfig", "generate", "load_preset"]
