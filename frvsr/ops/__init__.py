"""Tensor operations shared by models, losses and metrics (pure torch).

``warp``: flow warping and space/depth rearrangement (the only ``grid_sample`` caller).
``resize``: MATLAB-style ``imresize`` and the phase-0 bicubic upscale.
"""
from frvsr.ops.resize import imresize, upsample_bicubic_phase0
from frvsr.ops.warp import depth_to_space, flow_warp, space_to_depth, upsample_flow

__all__ = [
    "depth_to_space",
    "flow_warp",
    "imresize",
    "space_to_depth",
    "upsample_bicubic_phase0",
    "upsample_flow",
]
