"""Tensor operations shared by models, losses and metrics (pure torch).

``warp``: flow warping and space/depth rearrangement. ``resize`` (MATLAB-style ``imresize``
and the phase-0 bicubic upscale) is imported from ``frvsr.ops.resize`` directly.
"""
from frvsr.ops.warp import depth_to_space, flow_warp, space_to_depth, upsample_flow

__all__ = ["depth_to_space", "flow_warp", "space_to_depth", "upsample_flow"]
