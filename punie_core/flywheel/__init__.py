"""The flywheel: traces become training data, training makes a model, evals measure it by running.

Modules: `fields` (does a snippet read typed result fields), `integrity` (was a trace really
validated, or did it weaken tests), `stats`, `export` and `negatives` (traces to mlx-lm
datasets), `train` (LoRA, fuse, quantize through mlx-lm), `evals` (tasks that run the tools).
"""
