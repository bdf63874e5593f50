"""Face matching without I/O: the 128-d descriptor model, the 1:N gallery, quality and liveness
checks, the per-frame pipeline and the memory of strangers."""
