"""Lightning callbacks: labelled samples and split-screen videos (`samples`), atomic and
iteration-counted checkpoints (`checkpointing`), step progress (`progress`), the run's
console report (`report`) and learning rates by network (`learning_rates`)."""
