"""Does SR save bandwidth? The rate-quality study behind ``python -m frvsr.ladder``.

An encoding ladder of libx264 rungs at full resolution against the same bitrates sent at
``1/scale`` resolution and upscaled at the client (frvsr model, bicubic, Lanczos), scored
against the reference (VMAF 0-100, PSNR-Y in dB, tOF, tFlicker), summarised as
Bjøntegaard-delta rates; optionally with a model fine-tuned on the clip itself whose
weights are counted as extra kbit/s. Modules:

- ``reference``: the lossless reference and its low-resolution version (work files);
- ``encode``: 2-pass ABR (or CRF) rungs, measured bitrates, saturation flags;
- ``methods``: decoded rungs as frame streams, upscaled by model, bicubic or Lanczos;
- ``score``: streaming VMAF (libvmaf in the bundled static ffmpeg), PSNR-Y, tOF, tFlicker;
- ``bdrate``: BD-rate / BD-VMAF through the ``bjontegaard`` package (pchip), crossovers;
- ``adapt`` (+ ``freeze``): content-adaptive fine-tuning and the cost of its weights;
- ``results`` and ``report``: JSON, CSV, the terminal table, the plot and the HTML page;
- ``study``: one run, step by step, under one progress bar.

Bitrates are kbit/s (1000 bit/s) of the video stream's packets (container overhead not
counted), durations seconds (frames / fps).
"""
