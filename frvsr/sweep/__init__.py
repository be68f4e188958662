"""Hydra sweeps a researcher can read (docs/training.md, "Sweeps").

- ``record``: each job's ``result.json`` (status, overrides, steps, wall time, last
  validation of the model and of bicubic, checkpoint, or its one-line error), written
  atomically while the job runs (during training by ``frvsr.callbacks.report.RunRecord``,
  which is handed ``update_record``);
- ``job``: what ``frvsr.train`` does around ``fit`` in a multirun job (the record, the
  wandb group and tags, resuming a requeued job, a failed job as a row instead of the end
  of the sweep);
- ``summary`` (rows from a sweep folder alone), ``render`` (CSV, Markdown, HTML, plot,
  console table), ``callback`` (the Hydra callback that writes ``sweep.json`` at the start
  and the summary at the end of every multirun) and ``__main__`` (``python -m frvsr.sweep
  summary=<sweep dir>`` rebuilds it).

Nothing here imports Lightning.
"""
