"""Lightning callbacks: sample images/videos, atomic checkpoints."""
