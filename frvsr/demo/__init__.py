"""The first command (`make train` = `python -m frvsr.demo`): train FRVSR and the same
backbone frame by frame on the embedded footage, fine-tune FRVSR adversarially, score all
three against bicubic on the held-out shot, print the comparison and plot the learning
curves. Everything goes into one folder per run (`outputs/demo/<time>/`)."""
