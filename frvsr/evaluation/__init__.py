"""Evaluation: pair SR and GT clip folders (`clips`), score them under a protocol
(`protocols`, `scoring`), generate SR frames from a checkpoint or bicubic (`generate`,
`folders`), materialise `data=<option>` clips (`data_option`, the one module allowed to
load Hydra and Lightning) and run one `frvsr.evaluate` invocation (`run`).

Never loads Lightning (except `data_option`, imported only for `data=`)."""
