"""Character Studio trainer: fine-tunes a base model on a character's scenes.

Run as ``python -m character_trainer <doctor|train|export> --job job.json``. The process speaks the
protocol in :mod:`character_trainer.protocol`: JSON events on stdout, commands on stdin.
"""

__version__ = "0.1.0"
