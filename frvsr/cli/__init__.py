"""What every entry point shares: `key=value` parsing (`args`), one-line error printing
(`errors`) and Hydra composition checks (`hydra_compose`)."""
