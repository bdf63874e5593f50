"""What a developer runs the product with, shared by the demo, the tests and the benchmarks: the
demo and its parts, the byte-level device simulators, the screenshot site."""
