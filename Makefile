.PHONY: test demo bench soak lint

test:
	./dev test

demo:
	./dev demo $(ARGS)

bench:
	./dev bench

soak:
	./dev soak

lint:
	./dev lint
