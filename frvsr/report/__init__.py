"""Evaluation outputs: result files (``results``), terminal tables (``tables``), the HTML
reports (``html``, built from ``page`` and ``plots``) and wandb logging (``wandb_log``).

Never imports Lightning; matplotlib loads only with ``html``/``plots``."""
