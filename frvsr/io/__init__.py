"""File input/output shared by every package (no framework imports; nothing imported here).

- `frvsr.io.atomic`: temp file + rename, so a killed run never leaves half a file.
- `frvsr.io.images`: the one image reader/writer and the float <-> uint8 rule
  (8-bit /255, 16-bit /65535 at full precision; output clamp, *255, round half to even).
- `frvsr.io.video`: the one PyAV decoder (`decode_frames`) and encoder (`VideoWriter`:
  codecs, crf, colour tags, odd-size padding, atomic output).
"""
